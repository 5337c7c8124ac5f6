"""A cap on every request body, before the app reads it.

A declared ``Content-Length`` above the cap is refused at once, unread; a body sent
without one (chunked) is counted as it streams in and refused as soon as it passes the
cap, whatever the route had begun to do with it. The import upload (``/import``) is left
to its own, much larger limit (MAX_UPLOAD_MB), which it enforces the same way.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitcoach.core.errors import FitcoachError
from fitcoach.web.errors import error_body


class BodyTooLarge(FitcoachError):
    """A request body larger than the route accepts."""

    status = 413
    what_to_do = "Send a smaller request."


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (or the limit of the longest matching
    path prefix in ``limits``); paths in ``exempt`` are not capped here."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        limits: Mapping[str, int] | None = None,
        exempt: Collection[str] = (),
    ) -> None:
        self.app = app
        self.limit = limit
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))
        self.exempt = frozenset(exempt)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        state = _Progress()

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state.received += len(message.get("body", b""))
                if state.received > limit:
                    state.over = True
                    raise BodyTooLarge(f"The request body is larger than {limit} bytes.")
            return message

        async def guarded(message: Message) -> None:
            if state.over:  # whatever the app answers to a cut-off body, it is a 413
                if message["type"] == "http.response.start" and not state.started:
                    state.started = True
                    await _refuse(send, limit)
                return
            if message["type"] == "http.response.start":
                state.started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            if not state.started:
                state.started = True
                await _refuse(send, limit)


@dataclass
class _Progress:
    received: int = 0
    over: bool = False
    started: bool = False


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        error_body(413, f"The request body is larger than {limit} bytes.", "Send less.")
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class InFlightLimit:
    """At most ``limit`` requests to ``paths`` in this process at once; one more is
    answered 503 with ``Retry-After`` at once, before its body is read or the database is
    touched.

    For Strava's webhook callback: Strava waits 2 s for an acknowledgement and sends an
    unanswered or refused event again later, so under a flood (forged, or a backlog of
    genuine deliveries) a quick 503 keeps the events already admitted within their 2 s
    instead of letting every answer grow late together. Kept outermost, so a refused
    request costs only its parsing. Only the callback's own paths (with a current secret)
    count: a flood to a guessed path is answered 404 by the router and must not take the
    places of Strava's genuine deliveries.
    """

    def __init__(
        self, app: ASGIApp, paths: Collection[str], limit: int, retry_after_s: int = 5
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.limit = limit
        self.retry_after = str(retry_after_s).encode()
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await self._shed(send)
            return
        # One event loop per process: the count needs no lock.
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _shed(self, send: Send) -> None:
        body = json.dumps(
            error_body(
                503,
                "Too many events are being received at once.",
                "Send it again after Retry-After seconds (Strava does by itself).",
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", self.retry_after),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
