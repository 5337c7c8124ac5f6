"""Coaching settings: thresholds, body, goal event. Bad input is named per field and saves
nothing; a changed threshold holds from the day the athlete chose (today, a date, or every
activity), and the loads from that day on are recomputed in the background, with their
progress on the page and at ``/settings/recompute``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fitcoach.athletes.schemas import FIELDS, parse_applies, parse_settings
from fitcoach.athletes.service import (
    Saved,
    athlete_today_of,
    recompute_progress,
    save_settings,
    settings_view,
)
from fitcoach.core.errors import NotLoggedIn
from fitcoach.web.deps import Now, OptionalAthlete, Queue, Sessions
from fitcoach.web.page_common import login_required
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import page

router = APIRouter()

RECOMPUTING = "Saved. Your loads are being recomputed with the new settings ({scope})."
UNCHANGED = "Saved. No threshold changed, so every load stays as it was."


def saved_text(saved: Saved) -> str:
    if not saved.recompute:
        return UNCHANGED
    since = saved.since
    scope = "every activity" if since is None else f"from {since.day} {since:%B %Y} on"
    return RECOMPUTING.format(scope=scope)


def _render(
    request: Request,
    sessions: Sessions,
    today: date,
    athlete_id: int,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    saved: str | None = None,
) -> Response:
    view = settings_view(sessions, athlete_id, today)
    if view is None:
        request.session.clear()
        return login_required(request)
    return page(
        request,
        "settings.html",
        status_code=400 if errors else 200,
        form=dict(form) if form is not None else view.form,
        errors=errors or {},
        thresholds=view.thresholds,
        strava_connected=view.strava_connected,
        recompute=view.recompute,
        saved=saved,
        nav="settings",
    )


@router.get("/settings", response_class=HTMLResponse)
def settings(
    request: Request, athlete_id: OptionalAthlete, sessions: Sessions, now: Now
) -> Response:
    if athlete_id is None:
        return login_required(request)
    saved = request.session.pop("settings_saved", None)
    today = athlete_today_of(sessions, athlete_id, now)
    return _render(
        request, sessions, today, athlete_id, saved=saved if isinstance(saved, str) else None
    )


@router.post("/settings", response_class=HTMLResponse)
def save(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    queue: Queue,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    ftp_watts: Annotated[str, Form()] = "",
    threshold_hr: Annotated[str, Form()] = "",
    threshold_pace: Annotated[str, Form()] = "",
    max_hr: Annotated[str, Form()] = "",
    resting_hr: Annotated[str, Form()] = "",
    sex: Annotated[str, Form()] = "",
    weight_kg: Annotated[str, Form()] = "",
    goal_event_name: Annotated[str, Form()] = "",
    goal_event_date: Annotated[str, Form()] = "",
    goal_event_priority: Annotated[str, Form()] = "",
    applies: Annotated[str, Form()] = "",
    applies_date: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    submitted = dict(
        zip(
            FIELDS,
            (
                ftp_watts,
                threshold_hr,
                threshold_pace,
                max_hr,
                resting_hr,
                sex,
                weight_kg,
                goal_event_name,
                goal_event_date,
                goal_event_priority,
            ),
            strict=True,
        )
    )
    # "From today" and the days checked against today are the athlete's, where they are.
    today = athlete_today_of(sessions, athlete_id, now)
    values, errors = parse_settings(submitted, today)
    applies_from, applies_errors = parse_applies(applies, applies_date, today)
    errors = {**errors, **applies_errors}
    if values is None or errors:
        shown = {**submitted, "applies": applies, "applies_date": applies_date}
        return _render(request, sessions, today, athlete_id, shown, errors)
    saved = save_settings(sessions, athlete_id, values, applies_from, now)
    if saved is None:
        request.session.clear()
        return login_required(request)
    if saved.recompute:
        queue.recompute_loads(athlete_id)
    # Post/redirect/get: reloading the page after saving does not post the form again.
    request.session["settings_saved"] = saved_text(saved)
    return RedirectResponse("/settings", 303)


@router.get("/settings/recompute")
def recompute(athlete_id: OptionalAthlete, sessions: Sessions) -> JSONResponse:
    """How far the latest load recompute got, for the settings page to follow."""
    if athlete_id is None:
        raise NotLoggedIn()
    view = recompute_progress(sessions, athlete_id)
    return JSONResponse({"recompute": None if view is None else view.as_json()})
