"""What stands in front of Strava's handlers: request counting, rate-limit headers, faults.

A pure ASGI middleware, so that it can count and answer requests that never reach a route,
put the limit headers on every /api/v3 response (401s, 404s and 429s included), and damage
response bodies byte for byte (malformed JSON, a body cut short of its Content-Length).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .core import Simulator
from .errors import RATE_LIMIT_BODY, fault
from .faults import FaultRule
from .ratelimit import is_upload

_NUMBER = re.compile(r"/\d+(?=/|$)")


def endpoint_name(method: str, path: str) -> str:
    """'GET /api/v3/activities/{id}/streams': usage is reported per route, not per id."""
    return f"{method} {_NUMBER.sub('/{id}', path.rstrip('/') or '/')}"


def _token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


def _client_param(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("client_id")
    return values[0] if values else None


class StravaEdge:
    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        counted = path.startswith("/api/v3")
        if not counted and not path.startswith("/oauth"):
            await self.app(scope, receive, send)
            return
        sim = self.sim
        headers: dict[str, str] = {}
        if counted:
            now = sim.now()
            client = sim.client_for(_token(scope), _client_param(scope))
            over = sim.limiter.hit(
                client, endpoint_name(method, path), not is_upload(method, path), now
            )
            headers = sim.limiter.headers(client, now)
            if over:
                await _respond(send, 429, RATE_LIMIT_BODY, headers)
                return
        rule = sim.faults.for_request(method, path)
        if rule is None:
            await self.app(scope, receive, _with_headers(send, headers))
            return
        await self._apply(rule, scope, receive, send, headers)

    async def _apply(
        self, rule: FaultRule, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        kind = rule.kind
        if kind == "server_error":
            await _respond(send, 500, {"message": "Internal Server Error", "errors": []}, headers)
        elif kind == "unavailable":
            await _respond(
                send,
                503,
                fault("Service Unavailable", "Application", "server", "unavailable"),
                {**headers, "Retry-After": str(rule.retry_after)},
            )
        elif kind == "rate_limited":
            await _respond(send, 429, RATE_LIMIT_BODY, headers)
        elif kind == "timeout":
            await asyncio.sleep(rule.delay)
            # What a load balancer says when the service behind it never answered: not JSON.
            body = b"<html><body><h1>504 Gateway Time-out</h1></body></html>"
            await _send_raw(send, 504, body, {**headers, "content-type": "text/html"})
        elif kind == "slow":
            await asyncio.sleep(rule.delay)
            await self.app(scope, receive, _with_headers(send, headers))
        else:
            await self.app(scope, receive, _damaging(send, headers, kind))


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


async def _send_raw(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    all_headers = {
        "content-type": "application/json; charset=utf-8",
        **headers,
        "content-length": str(len(body)),
    }
    await send({"type": "http.response.start", "status": status, "headers": _encode(all_headers)})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _respond(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    await _send_raw(send, status, json.dumps(body).encode(), headers)


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    if not headers:
        return send
    extra = _encode(headers)

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _damaging(send: Send, headers: dict[str, str], kind: str) -> Send:
    """Buffer the handler's response, then break its body the way `kind` says."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        kept = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        if kind == "malformed_json":
            # Same size, no longer JSON: a trailing comma before the closing bracket.
            body = body[:-1] + (b",]" if body.endswith(b"]") else b",}")
            length = len(body)
        else:  # truncated: declare the full length, deliver half
            length = len(body)
            body = body[: len(body) // 2]
        start["headers"] = [*kept, (b"content-length", str(length).encode()), *_encode(headers)]
        await send(start)
        try:
            await send({"type": "http.response.body", "body": body, "more_body": False})
        except RuntimeError:
            # The server refuses to end a response short of its Content-Length and drops
            # the connection instead: exactly the damage this fault is meant to do.
            if kind == "malformed_json":
                raise

    return wrapped
