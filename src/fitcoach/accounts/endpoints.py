"""Login with Strava, logout (here or everywhere) and disconnect."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fitcoach.accounts.service import begin_login, end_logins
from fitcoach.activities.queries import count_by_origin
from fitcoach.core.errors import NotLoggedIn
from fitcoach.strava.errors import BadRequest, StravaError
from fitcoach.sync.connection import (
    StravaTakenElsewhere,
    can_read_activities,
    connect_athlete,
    disconnect_strava,
    missing_scopes,
)
from fitcoach.sync.context import sync_context
from fitcoach.web import sessions
from fitcoach.web.deps import (
    AppServices,
    AppSettings,
    CurrentAthlete,
    Now,
    OptionalAthlete,
    PageReads,
    Queue,
    Sessions,
    Strava,
)
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import message_page, page

router = APIRouter(prefix="/auth")
log = logging.getLogger("fitcoach.accounts.endpoints")

SCOPE = "read,activity:read_all"


@router.get("/strava/login", response_model=None)
def login(request: Request, settings: AppSettings, strava: Strava) -> Response:
    """Send the browser to Strava's approval page, with a state bound to this session."""
    if not settings.strava_client_id:
        return message_page(
            request,
            "Strava is not configured",
            "This fitcoach has no Strava application set up.",
            "The operator sets STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET "
            "(or runs `fitcoach demo`, which uses the local Strava simulator).",
            status_code=503,
        )
    nonce = secrets.token_urlsafe(24)
    request.session["oauth_state"] = nonce
    redirect_uri = f"{settings.public_url.rstrip('/')}/auth/strava/callback"
    return RedirectResponse(strava.authorize_url(redirect_uri, nonce, SCOPE), 303)


@router.get("/strava/callback", response_model=None)
def callback(
    request: Request,
    app: AppServices,
    queue: Queue,
    now: Now,
    signed_in: OptionalAthlete,
    state: Annotated[str | None, Query()] = None,
    code: Annotated[str | None, Query()] = None,
    scope: Annotated[str, Query()] = "",
    error: Annotated[str | None, Query()] = None,
) -> Response:
    """Strava's redirect back: check state, check scopes, exchange the code, log in."""
    expected = request.session.pop("oauth_state", None)
    if not (isinstance(expected, str) and state and hmac.compare_digest(expected, state)):
        return message_page(
            request,
            "This login link is not valid",
            "The answer from Strava does not belong to a login started in this browser.",
            "Start again from the Connect with Strava button.",
            status_code=400,
            action=("/auth/strava/login", "Connect with Strava"),
        )
    if error:
        return message_page(
            request,
            "Strava was not connected",
            "You chose not to give fitcoach access to your Strava activities"
            if error == "access_denied"
            else f"Strava answered: {error}.",
            "fitcoach needs to read your activities to coach you. You can connect any time.",
            status_code=400,
            action=("/auth/strava/login", "Connect with Strava"),
        )
    missing = missing_scopes(scope)
    if missing or not code:
        return message_page(
            request,
            "fitcoach needs a little more access",
            f"Strava was connected without: {', '.join(missing) or 'an authorization code'}. "
            "fitcoach reads all your activities (including private ones) to compute your "
            "training load; it never writes to Strava.",
            "Connect again and leave every box ticked on Strava's page.",
            status_code=400,
            action=("/auth/strava/login", "Connect again"),
        )
    try:
        answer = app.strava.exchange_code(code)
    except BadRequest:
        return message_page(
            request,
            "This login has expired",
            "Strava did not accept the login code (it was already used or is too old).",
            "Start again from the Connect with Strava button.",
            status_code=400,
            action=("/auth/strava/login", "Connect with Strava"),
        )
    except StravaError as failure:
        log.warning("token exchange failed", extra={"error": str(failure)})
        return message_page(
            request,
            "Strava is not answering",
            "fitcoach could not finish connecting to Strava just now.",
            "Try again in a few minutes.",
            status_code=502,
            action=("/auth/strava/login", "Try again"),
        )
    try:
        athlete_id = connect_athlete(app.sessions, app.key_ring, answer, scope, signed_in)
    except StravaTakenElsewhere as taken:
        return message_page(
            request,
            "Strava is connected to another account",
            str(taken),
            taken.what_to_do or "",
            status_code=taken.status,
            action=("/settings", "Back to settings"),
        )
    if signed_in is None:  # "Sign in with Strava": log in to the account it belongs to
        begin_login(app.sessions, request.session, athlete_id, now)
    # Without permission to read activities the dashboard says "reconnect needed".
    if can_read_activities(sync_context(app), athlete_id):
        queue.start_backfill(athlete_id)
    return RedirectResponse("/", 303)


def sign_out(request: Request, store: Sessions, athlete_id: int | None) -> None:
    """End this login and every other of the athlete: a copy of the cookie, taken
    anywhere, stops working too."""
    if athlete_id is not None:
        end_logins(store, athlete_id)
    sessions.end(request.session)


@router.post("/logout")
def logout(
    request: Request,
    store: Sessions,
    athlete_id: OptionalAthlete,
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    check_csrf(request, csrf)
    sign_out(request, store, athlete_id)
    return RedirectResponse("/", 303)


@router.post("/logout/everywhere", response_class=HTMLResponse)
def logout_everywhere(
    request: Request,
    store: Sessions,
    athlete_id: OptionalAthlete,
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The settings page's "Sign out everywhere": every browser and device."""
    check_csrf(request, csrf)
    if athlete_id is None:
        raise NotLoggedIn("You are not logged in.")
    sign_out(request, store, athlete_id)
    return message_page(
        request,
        "Signed out everywhere",
        "Every browser and device that was logged in to fitcoach as you is logged out, "
        "this one included.",
        "Sign in again to carry on.",
        action=("/auth/signin", "Sign in"),
    )


@router.get("/strava/disconnect", response_class=HTMLResponse)
def confirm_disconnect(
    request: Request, athlete_id: CurrentAthlete, reader: PageReads
) -> HTMLResponse:
    """What disconnecting deletes and what it keeps, before anything happens."""
    with reader.turn() as connection:
        from_strava, own = count_by_origin(connection, athlete_id)
    return page(
        request,
        "disconnect.html",
        from_strava=from_strava,
        own=own,
        nav="settings",
    )


@router.post("/strava/disconnect", response_class=HTMLResponse)
def disconnect(
    request: Request,
    app: AppServices,
    now: Now,
    athlete_id: CurrentAthlete,
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Deauthorize fitcoach at Strava and delete what came from Strava; the account, its
    own files, settings and goal stay. Every other login of the account ends (a copy of
    the cookie taken anywhere stops working); this browser stays signed in."""
    check_csrf(request, csrf)
    deleted = disconnect_strava(app.sessions, app.key_ring, app.strava, athlete_id, now.date())
    end_logins(app.sessions, athlete_id)
    begin_login(app.sessions, request.session, athlete_id, now)
    noun = "activity" if deleted == 1 else "activities"
    return message_page(
        request,
        "Strava disconnected",
        f"fitcoach no longer has access to your Strava account; the {deleted} {noun} and "
        "their streams that came from Strava are deleted. Your account, your own files, "
        "your settings and your goal are kept, and your fitness history keeps the training "
        "load fitcoach worked out.",
        "You can connect Strava again whenever you like; your history then comes back.",
        action=("/", "Back to the dashboard"),
    )
