"""The settings page for the athlete's own AI assistant (/settings/assistant): make a token
(shown once), see when each was last used, revoke one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fitcoach.core.settings import Settings
from fitcoach.mcp.errors import BadTokenRequest
from fitcoach.mcp.http import PATH
from fitcoach.mcp.tokens import LIFETIMES, NewToken, create_token, parse_scope, revoke, token_lines
from fitcoach.web.deps import AppSettings, Now, OptionalAthlete, Sessions
from fitcoach.web.page_common import login_required
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import page

router = APIRouter()
PAGE = "/settings/assistant"
REAL_STRAVA = "https://www.strava.com"


def policy_note(settings: Settings) -> str:
    """What this server lets an assistant see, in words: the page states the policy in
    force, and when it is lifted, whether the Strava data it lifts is real."""
    if not settings.coach_llm_allow_strava_data:
        return (
            "What an assistant may see follows Strava's API terms: only numbers from your "
            "own files and archive; each answer says when Strava data was left out."
        )
    if settings.strava_base_url.rstrip("/") != REAL_STRAVA:
        return (
            "This server's Strava is a simulator whose activities are generated, so it lets "
            "an assistant see them (COACH_LLM_ALLOW_STRAVA_DATA=true): the policy is lifted "
            "for simulated data only. Connected to the real Strava, an assistant sees only "
            "your own files unless the operator's agreement with Strava allows more."
        )
    return (
        "This server's operator lets an assistant see numbers from Strava's API too "
        "(COACH_LLM_ALLOW_STRAVA_DATA=true, for operators whose agreement with Strava "
        "allows it)."
    )


def _render(
    request: Request,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
    athlete_id: int,
    *,
    created: NewToken | None = None,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    response = page(
        request,
        "assistant.html",
        status_code=400 if error else 200,
        tokens=token_lines(sessions, athlete_id),
        now=now,
        created=created,
        error=error,
        notice=notice,
        mcp_url=settings.public_url.rstrip("/") + PATH,
        policy=policy_note(settings),
        lifetimes=LIFETIMES,
        nav="settings",
    )
    # The page may show a new token's secret: no cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(PAGE, response_class=HTMLResponse)
def assistant(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
) -> Response:
    if athlete_id is None:
        return login_required(request)
    notice = request.session.pop("assistant_notice", None)
    return _render(
        request,
        sessions,
        settings,
        now,
        athlete_id,
        notice=notice if isinstance(notice, str) else None,
    )


@router.post(PAGE, response_class=HTMLResponse)
def make_token(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "read",
    lifetime: Annotated[str, Form()] = "never",
) -> Response:
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    try:
        if lifetime not in LIFETIMES:
            raise BadTokenRequest(f"the lifetime {lifetime!r} is not one of the choices")
        created = create_token(
            sessions, athlete_id, parse_scope(scope), name, now, days=LIFETIMES[lifetime]
        )
    except BadTokenRequest as refusal:
        return _render(
            request, sessions, settings, now, athlete_id, error=f"No token was made: {refusal}."
        )
    return _render(request, sessions, settings, now, athlete_id, created=created)


@router.post(PAGE + "/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    now: Now,
    token_id: int,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    done = revoke(sessions, athlete_id, token_id, now)
    request.session["assistant_notice"] = (
        "The token was revoked: an assistant using it is refused from now on."
        if done
        else "That token was already revoked or is not one of yours; nothing changed."
    )
    return RedirectResponse(PAGE, 303)
