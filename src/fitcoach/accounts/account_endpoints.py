"""The account page: the e-mail and password an account signs in with, the operator's
identity provider it may sign in with, "Download my data" and "Delete my account".
Changing how the account signs in and deleting it need the password again (or, without
one, a login of the last minutes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fitcoach.accounts.export import export_zip
from fitcoach.accounts.oidc import LINK, linked
from fitcoach.accounts.password_endpoints import source_of
from fitcoach.accounts.schemas import email_problem, normalized_email, password_problem
from fitcoach.accounts.service import (
    EmailTaken,
    RecentLoginNeeded,
    WrongPassword,
    account_view,
    begin_login,
    change_email,
    change_password,
    confirm_owner,
    delete_own_account,
)
from fitcoach.core.errors import NotLoggedIn
from fitcoach.web import sessions
from fitcoach.web.deps import (
    AppServices,
    AppSettings,
    CurrentAthlete,
    Logins,
    Now,
    OptionalAthlete,
    Sessions,
    services,
)
from fitcoach.web.page_common import login_required
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import message_page, page

router = APIRouter()

SAVED = "account_saved"


def _render(
    request: Request,
    store: Sessions,
    athlete_id: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    email: str = "",
) -> Response:
    view = account_view(store, athlete_id)
    if view is None:
        sessions.end(request.session)
        return login_required(request)
    saved = request.session.pop(SAVED, None)
    settings = services(request).settings
    return page(
        request,
        "account.html",
        status_code=status_code,
        account=view,
        errors=errors or {},
        form={"email": email or view.email or ""},
        saved=saved if isinstance(saved, str) else None,
        oidc_name=settings.oidc_name if settings.oidc_configured else None,
        oidc_linked=linked(store, athlete_id, settings),
        nav="account",
    )


def _confirm(
    request: Request,
    store: Sessions,
    logins: Logins,
    athlete_id: int,
    password: str,
    now: Now,
    field: str,
) -> dict[str, str]:
    """Re-authentication; the errors to show under ``field`` (none when it passed)."""
    wait = logins.take(f"account:{athlete_id}", source_of(request))
    if wait is not None:
        return {field: "Too many tries. Wait a few minutes and try again."}
    login = sessions.login_of(request.session)
    if login is None:
        raise NotLoggedIn("You are not logged in.")
    try:
        confirm_owner(store, athlete_id, password, login.issued, now)
    except (WrongPassword, RecentLoginNeeded) as refused:
        return {field: f"{refused} {refused.what_to_do}"}
    return {}


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, store: Sessions, athlete_id: OptionalAthlete) -> Response:
    if athlete_id is None:
        return login_required(request)
    return _render(request, store, athlete_id)


@router.post("/account/email", response_class=HTMLResponse)
def new_email(
    request: Request,
    store: Sessions,
    logins: Logins,
    now: Now,
    athlete_id: CurrentAthlete,
    csrf: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    email_password: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    address = normalized_email(email)
    problem = email_problem(email)
    errors = {"email": problem} if problem else {}
    errors = errors or _confirm(
        request, store, logins, athlete_id, email_password, now, "email_password"
    )
    if not errors:
        try:
            change_email(store, athlete_id, address)
        except EmailTaken as taken:
            errors = {"email": f"{taken} {taken.what_to_do}"}
    if errors:
        return _render(request, store, athlete_id, errors, 400, email=address)
    request.session[SAVED] = f"You now sign in with {address}."
    return RedirectResponse("/account", 303)


@router.post("/account/password", response_class=HTMLResponse)
def new_password(
    request: Request,
    store: Sessions,
    logins: Logins,
    now: Now,
    athlete_id: CurrentAthlete,
    csrf: Annotated[str, Form()] = "",
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    problem = password_problem(new_password)
    errors = {"new_password": problem} if problem else {}
    errors = errors or _confirm(
        request, store, logins, athlete_id, current_password, now, "current_password"
    )
    if errors:
        return _render(request, store, athlete_id, errors, 400)
    change_password(store, athlete_id, new_password)
    # Every other login ended with the change; this browser carries on.
    begin_login(store, request.session, athlete_id, now)
    request.session[SAVED] = "Your password is changed; every other login of yours has ended."
    return RedirectResponse("/account", 303)


@router.post("/account/oidc", response_class=HTMLResponse)
def link_oidc(
    request: Request,
    store: Sessions,
    settings: AppSettings,
    logins: Logins,
    now: Now,
    athlete_id: CurrentAthlete,
    csrf: Annotated[str, Form()] = "",
    oidc_password: Annotated[str, Form()] = "",
) -> Response:
    """A new way in for the account, so its owner proves it is them first; the provider's
    sign-in follows, and its identity is linked on the way back."""
    check_csrf(request, csrf)
    if not settings.oidc_configured:
        return RedirectResponse("/account", 303)
    errors = _confirm(request, store, logins, athlete_id, oidc_password, now, "oidc_password")
    if errors:
        return _render(request, store, athlete_id, errors, 400)
    request.session[LINK] = athlete_id
    # A link, not a redirect: the page's form-action 'self' forbids a form's answer to
    # lead to another origin.
    return message_page(
        request,
        f"Link {settings.oidc_name}",
        f"It is you. Now sign in at {settings.oidc_name}: when it sends you back, your "
        "account is linked and you can sign in with it.",
        "Press the button below within a few minutes.",
        action=("/auth/oidc/login", f"Continue to {settings.oidc_name}"),
    )


@router.get("/account/export", response_model=None)
def download(store: Sessions, now: Now, athlete_id: CurrentAthlete) -> Response:
    """Everything fitcoach holds of the athlete, as one zip."""
    body = export_zip(store, athlete_id, now)
    name = f"fitcoach-{athlete_id}-{now.date().isoformat()}.zip"
    return Response(
        body,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/account/delete", response_class=HTMLResponse)
def delete(
    request: Request,
    app: AppServices,
    logins: Logins,
    now: Now,
    athlete_id: CurrentAthlete,
    csrf: Annotated[str, Form()] = "",
    delete_password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    errors = (
        {}
        if confirm.strip().lower() == "delete"
        else {"confirm": "Type delete to confirm that everything should go."}
    )
    errors = errors or _confirm(
        request, app.sessions, logins, athlete_id, delete_password, now, "delete_password"
    )
    if errors:
        return _render(request, app.sessions, athlete_id, errors, 400)
    delete_own_account(app.sessions, app.key_ring, app.strava, athlete_id)
    sessions.end(request.session)
    return message_page(
        request,
        "Your account is deleted",
        "Your account, your activities, your settings, your goal and your Strava connection "
        "are deleted. fitcoach keeps only the record that an account was deleted, and when.",
        "Nothing; you can create a new account at any time.",
        action=("/", "fitcoach's home page"),
    )
