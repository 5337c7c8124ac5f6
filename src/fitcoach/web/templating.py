"""Jinja2 templates, autoescaped: athlete-provided text always renders as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from fitcoach.web import formatting
from fitcoach.web.security import csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
formatting.install(templates.env)
templates.env.auto_reload = False


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    # An unexpected error is rendered outside the session middleware: no session there.
    has_session = "session" in request.scope
    context.setdefault("athlete_id", request.session.get("athlete_id") if has_session else None)
    context["csrf_token"] = csrf_token(request) if has_session else ""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def message_page(
    request: Request,
    title: str,
    message: str,
    what_to_do: str,
    status_code: int = 200,
    action: tuple[str, str] | None = None,
) -> HTMLResponse:
    """A page that says what happened and what to do next."""
    return page(
        request,
        "message.html",
        status_code=status_code,
        title=title,
        message=message,
        what_to_do=what_to_do,
        action=action,
    )


def static_files() -> StaticFiles:
    """The stylesheet, scripts and vendored libraries (htmx, uPlot): nothing from a CDN."""
    return StaticFiles(directory=Path(__file__).parent / "static")
