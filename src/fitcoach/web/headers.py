"""Security headers on every answer: what the browser may load, frame and send on.

The pages load only fitcoach's own files (htmx, uPlot, fitcoach.js and the stylesheets,
vendored under /static): no inline script or style, no other origin, so the Content
Security Policy allows 'self' and nothing else, and no page may be framed. Behind https
the browser is told to come back over https only (HSTS).
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The interactive API documentation loads its scripts from a CDN and inline: it gets
# the other headers but no CSP (and is served only where API_DOCS allows).
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, https: bool, docs: Collection[str] = DOCS_PATHS) -> None:
        self.app = app
        self.docs = tuple(docs)
        common = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
        }
        if https:
            common["Strict-Transport-Security"] = HSTS
        self.common = common

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not scope["path"].startswith(self.docs)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.common.items():
                    headers.setdefault(name, value)
                if with_csp:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)
