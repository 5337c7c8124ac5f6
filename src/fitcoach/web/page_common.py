"""Pages every domain answers with: please log in, and not found."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from fitcoach.web.templating import message_page


def login_required(request: Request) -> HTMLResponse:
    return message_page(
        request,
        "Please log in",
        "This page shows your own training data, so fitcoach needs to know who you are.",
        "Sign in with your e-mail and password, or with Strava.",
        status_code=401,
        action=("/auth/signin", "Sign in"),
    )


def not_found(request: Request, what: str) -> HTMLResponse:
    return message_page(
        request,
        f"{what} not found",
        f"This {what.lower()} is not among yours on fitcoach: it may have been deleted on "
        "Strava, not be imported yet, or belong to someone else.",
        "Go back to your dashboard and pick it from the list.",
        status_code=404,
        action=("/", "Back to the dashboard"),
    )
