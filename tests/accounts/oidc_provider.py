"""A small, real OpenID Connect provider for tests, served on loopback: a discovery
document, a sign-in page (a form choosing the person), the token endpoint (client secret
by HTTP Basic, codes used once, bound to their redirect URI) and its public keys. ID
tokens are RS256 JWTs signed with a key generated here, so fitcoach's authlib client does
all its checks for real. ``forge`` makes the next ID token wrong in one named way."""

from __future__ import annotations

import base64
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.conftest import RunningServer

CLIENT_ID = "fitcoach-test"
CLIENT_SECRET = "provider-secret"
NAME = "Example SSO"
# Ways to make an ID token wrong; each must be refused by fitcoach.
FORGERIES = ("nonce", "signature", "audience", "issuer", "expired")


@dataclass
class Provider:
    """The provider's state: who may sign in (their claims), the codes handed out."""

    users: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "ada": {
                "sub": "ada-0001",
                "email": "ada@example.com",
                "email_verified": True,
                "given_name": "Ada",
                "family_name": "Lovelace",
            },
            "bob": {
                "sub": "bob-0002",
                "email": "bob@example.com",
                "email_verified": False,
                "name": "Bob",
            },
        }
    )
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    forge: str | None = None
    issuer: str = ""

    def id_token(self, grant: dict[str, Any]) -> str:
        forged, self.forge = self.forge, None
        now = int(time.time())
        claims = {
            **self.users[grant["user"]],
            "iss": self.issuer + ("/other" if forged == "issuer" else ""),
            "aud": "someone-else" if forged == "audience" else CLIENT_ID,
            "iat": now - 7200 if forged == "expired" else now,
            "exp": now - 3600 if forged == "expired" else now + 300,
            "nonce": "not-the-nonce" if forged == "nonce" else grant["nonce"],
        }
        key = self.key
        if forged == "signature":  # the same key id, another key: a forger's token
            key = RSAKey.generate_key(2048, parameters={"kid": "1"})
        return jwt.encode({"alg": "RS256", "kid": "1"}, claims, key)


def _discovery(provider: Provider) -> Any:
    async def handle(request: Request) -> Response:
        base = provider.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    return handle


def _authorize(provider: Provider) -> Any:
    async def handle(request: Request) -> Response:
        if request.method == "GET":
            asked = dict(request.query_params)
            if asked.get("client_id") != CLIENT_ID or asked.get("response_type") != "code":
                return HTMLResponse("unknown client or response type", 400)
            if "openid" not in asked.get("scope", "").split():
                return HTMLResponse("not an OpenID Connect request", 400)
            keep = "".join(
                f'<input type="hidden" name="{name}" value="{html.escape(asked.get(name, ""))}">'
                for name in ("redirect_uri", "state", "nonce")
            )
            buttons = "".join(
                f'<button name="user" value="{name}">Sign in as {name}</button>'
                for name in provider.users
            )
            return HTMLResponse(
                f"<!doctype html><title>{NAME}</title><h1>{NAME}</h1>"
                f'<form method="post" action="/authorize">{keep}{buttons}'
                '<button name="user" value="">Cancel</button></form>'
            )
        form = await request.form()
        redirect_uri, state = str(form["redirect_uri"]), str(form["state"])
        user = str(form.get("user", ""))
        if not user:
            query = urlencode({"error": "access_denied", "state": state})
            return RedirectResponse(f"{redirect_uri}?{query}", 302)
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "user": user,
            "nonce": str(form["nonce"]),
            "redirect_uri": redirect_uri,
        }
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", 302)

    return handle


def _token(provider: Provider) -> Any:
    async def handle(request: Request) -> Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, 401)
        form = await request.form()
        grant = provider.codes.pop(str(form.get("code", "")), None)
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant["redirect_uri"] != form.get("redirect_uri")
        ):
            return JSONResponse({"error": "invalid_grant"}, 400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(grant),
            }
        )

    return handle


def _jwks(provider: Provider) -> Any:
    async def handle(request: Request) -> Response:
        return JSONResponse(KeySet([provider.key]).as_dict(private=False))

    return handle


def serve(provider: Provider) -> RunningServer:
    """The provider on a loopback port; its issuer is its URL."""
    app = Starlette(
        routes=[
            Route("/.well-known/openid-configuration", _discovery(provider)),
            Route("/authorize", _authorize(provider), methods=["GET", "POST"]),
            Route("/token", _token(provider), methods=["POST"]),
            Route("/jwks", _jwks(provider)),
        ]
    )
    server = RunningServer(app)
    provider.issuer = server.url
    return server
