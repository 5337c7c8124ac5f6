"""Who operates this fitcoach: the athletes named in ADMIN_ATHLETE_IDS (by their login)
and tools that send ADMIN_TOKEN as a bearer token. Here, below every domain, so that the
monitoring's /admin and the accounts' list and invitations ask the same question."""

from __future__ import annotations

import hmac

from fastapi import Request

from fitcoach.core.settings import Settings


def token_matches(authorization: str | None, expected: str) -> bool:
    """Whether an ``Authorization: Bearer <token>`` header carries `expected`."""
    if not expected or not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def is_operator(request: Request, settings: Settings, athlete_id: int | None) -> bool:
    if token_matches(request.headers.get("authorization"), settings.admin_token):
        return True
    return athlete_id is not None and athlete_id in settings.admin_ids
