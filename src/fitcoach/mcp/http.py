"""The MCP server over streamable HTTP at ``/mcp``, inside the web app.

Each request is checked before the SDK sees it: a Bearer token of an athlete (401
without a valid one), then the token's rate (``MCP_REQUESTS_PER_MINUTE``, 429 with
Retry-After). The checked caller rides in the request's ASGI scope to the tool call.
The SDK's session manager runs in the web app's lifespan (``McpHttp.running``); it is
stateless, so any web process can answer any request of a conversation.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import anyio.to_thread
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from fitcoach.core.clock import Clock
from fitcoach.mcp.errors import InvalidToken
from fitcoach.mcp.server import CALLER_KEY, ServerSetup, build_server
from fitcoach.mcp.tokens import Caller, authenticate
from fitcoach.web.throttle import Throttle

PATH = "/mcp"


class McpHttp:
    """The ``/mcp`` endpoint: token check, rate limit, then the SDK's transport."""

    def __init__(self, setup: ServerSetup, requests_per_minute: int, clock: Clock) -> None:
        self.setup = setup
        self.clock = clock
        # A token may spend a minute's requests at once, then the rate refills.
        self.throttle = Throttle(
            requests_per_minute, requests_per_minute, clock=lambda: clock().timestamp()
        )
        self.manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The SDK's session manager, for one lifespan of the web app (a manager runs once,
        so each lifespan builds its own)."""
        server = build_server(self.setup)
        server.streamable_http_app(
            streamable_http_path=PATH, stateless_http=True, json_response=True, host="0.0.0.0"
        )
        manager = server.session_manager
        async with manager.run():
            self.manager = manager
            try:
                yield
            finally:
                self.manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self.manager is None:
            await _refuse(send, 503, "the MCP server is not running in this process", {})
            return
        secret = _bearer(Headers(scope=scope))
        now = self.clock()
        try:
            caller = await anyio.to_thread.run_sync(self._authenticate, secret, now)
        except InvalidToken as refusal:
            await _refuse(
                send,
                401,
                f"{refusal} {InvalidToken.what_to_do}",
                {"www-authenticate": 'Bearer realm="fitcoach-mcp"'},
            )
            return
        wait = self.throttle.take(f"token:{caller.token_id}")
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            await _refuse(
                send,
                429,
                f"this token made more than its requests a minute; try again in {seconds} s",
                {"retry-after": str(seconds)},
            )
            return
        scope[CALLER_KEY] = caller
        await self.manager.handle_request(scope, receive, send)

    def _authenticate(self, secret: str | None, now: datetime) -> Caller:
        if not secret:
            raise InvalidToken("no token was sent")
        return authenticate(self.setup.sessions, secret, now)


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    kind, _, token = value.partition(" ")
    return token.strip() if kind.lower() == "bearer" and token.strip() else None


async def _refuse(send: Send, status: int, reason: str, headers: dict[str, str]) -> None:
    body = json.dumps({"error": reason}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *((k.encode(), v.encode()) for k, v in headers.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
