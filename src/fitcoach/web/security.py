"""CSRF protection for forms and state-changing API calls."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from fitcoach.core.errors import FitcoachError
from fitcoach.web.sessions import CSRF


class CsrfRefused(FitcoachError):
    """A state-changing request without the session's CSRF token."""

    status = 403
    what_to_do = "Go back, reload the page and submit the form again."


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF)
    if not isinstance(token, str):  # a visitor not signed in: forms before any login
        token = secrets.token_urlsafe(32)
        request.session[CSRF] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get(CSRF)
    if not (isinstance(expected, str) and submitted and hmac.compare_digest(expected, submitted)):
        raise CsrfRefused("The form's security token is missing or stale.")
