"""Who is asking (from the signed session only) and CSRF protection for forms."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not (isinstance(expected, str) and submitted and hmac.compare_digest(expected, submitted)):
        raise HTTPException(403, "The form's security token is missing or stale.")


def session_athlete(request: Request) -> int | None:
    """The athlete this browser session belongs to; never taken from the query or body."""
    value = request.session.get("athlete_id")
    return value if isinstance(value, int) else None


def require_athlete(request: Request) -> int:
    athlete_id = session_athlete(request)
    if athlete_id is None:
        raise HTTPException(401, "You are not logged in.")
    return athlete_id
