"""The operator's view of accounts: the list, and invitation links while sign-ups are
closed (SIGNUPS_OPEN=false). Operators only (ADMIN_ATHLETE_IDS, ADMIN_TOKEN)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fitcoach.accounts.queries import account_rows, recent_invitations
from fitcoach.accounts.service import invite
from fitcoach.web.deps import AppServices, Now, OptionalAthlete
from fitcoach.web.operators import is_operator
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import message_page, page

router = APIRouter(prefix="/admin")

ACCOUNTS_SHOWN = 200
INVITATIONS_SHOWN = 20


def _refused(request: Request) -> HTMLResponse:
    return message_page(
        request,
        "Operators only",
        "This page lists every account of this fitcoach, so only its operators may see it.",
        "Sign in with an account listed in ADMIN_ATHLETE_IDS, or send ADMIN_TOKEN as a "
        "bearer token.",
        status_code=403,
    )


def _render(
    request: Request, app: AppServices, now: Now, new_link: str | None = None
) -> HTMLResponse:
    with app.sessions() as session:
        total, accounts = account_rows(session, ACCOUNTS_SHOWN)
        invitations = [
            (row.note, row.created_at, row.expires_at, row.used_at, row.used_by)
            for row in recent_invitations(session, INVITATIONS_SHOWN)
        ]
    response = page(
        request,
        "admin_accounts.html",
        total=total,
        accounts=accounts,
        invitations=invitations,
        signups_open=app.settings.signups_open,
        new_link=new_link,
        now=now,
        nav="admin",
    )
    response.headers["Cache-Control"] = "no-store"  # other people's data: never cached
    return response


@router.get("/accounts", response_class=HTMLResponse, include_in_schema=False)
def accounts(request: Request, app: AppServices, now: Now, athlete_id: OptionalAthlete) -> Response:
    if not is_operator(request, app.settings, athlete_id):
        return _refused(request)
    return _render(request, app, now)


@router.post("/invitations", response_class=HTMLResponse, include_in_schema=False)
def new_invitation(
    request: Request,
    app: AppServices,
    now: Now,
    athlete_id: OptionalAthlete,
    csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    """A new invitation link, shown once (only its digest is kept)."""
    check_csrf(request, csrf)
    if not is_operator(request, app.settings, athlete_id):
        return _refused(request)
    token = invite(app.sessions, note.strip(), now)
    link = f"{app.settings.public_url.rstrip('/')}/auth/signup?invitation={token}"
    return _render(request, app, now, new_link=link)
