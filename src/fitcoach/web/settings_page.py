"""Coaching settings: thresholds, body, goal event. Bad input is named per field and saves
nothing; a saved change has every load recomputed in the background."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.store.engine import transaction
from fitcoach.store.models import Athlete
from fitcoach.sync.loads import thresholds_for
from fitcoach.sync.thresholds_view import threshold_lines
from fitcoach.web.page_common import app_state, login_required
from fitcoach.web.security import check_csrf, session_athlete
from fitcoach.web.templating import page

router = APIRouter()

PACE = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")
RECOMPUTING = "Saved. Your loads are being recomputed with the new settings; the dashboard "
RECOMPUTING += "shows the new numbers in a minute or so."


@dataclass(frozen=True)
class Values:
    """Validated settings; None means "estimate it" (or no goal)."""

    ftp_watts: float | None
    threshold_hr: float | None
    threshold_pace_s_per_km: float | None
    max_hr: float | None
    resting_hr: float | None
    sex: str | None
    weight_kg: float | None
    goal_event_name: str | None
    goal_event_date: date | None
    goal_event_priority: str | None


def _number(
    errors: dict[str, str], form: Mapping[str, str], key: str, low: float, high: float, unit: str
) -> float | None:
    raw = form.get(key, "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[key] = f"Enter a number in {unit}, or leave it empty to use the estimate."
        return None
    if not low <= value <= high:
        errors[key] = f"Enter a value from {low:g} to {high:g} {unit}."
        return None
    return value


def parse(form: Mapping[str, str], today: date) -> tuple[Values | None, dict[str, str]]:
    """The settings from a submitted form, or per-field errors in plain words."""
    errors: dict[str, str] = {}
    ftp = _number(errors, form, "ftp_watts", 30, 2000, "watts")
    lthr = _number(errors, form, "threshold_hr", 80, 230, "bpm")
    max_hr = _number(errors, form, "max_hr", 100, 240, "bpm")
    resting = _number(errors, form, "resting_hr", 25, 120, "bpm")
    weight = _number(errors, form, "weight_kg", 25, 300, "kg")
    pace: float | None = None
    raw_pace = form.get("threshold_pace", "").strip()
    if raw_pace:
        match = PACE.match(raw_pace)
        if match is None:
            errors["threshold_pace"] = "Write the pace as minutes:seconds per km, e.g. 4:30."
        else:
            pace = int(match.group(1)) * 60 + int(match.group(2))
            if not 120 <= pace <= 900:
                errors["threshold_pace"] = "Enter a pace from 2:00 to 15:00 per km."
                pace = None
    if max_hr is not None and resting is not None and resting >= max_hr:
        errors["resting_hr"] = "Resting heart rate must be below your maximum heart rate."
    if max_hr is not None and lthr is not None and lthr > max_hr:
        errors["threshold_hr"] = "Threshold heart rate cannot be above your maximum."
    if resting is not None and lthr is not None and lthr <= resting:
        errors["threshold_hr"] = "Threshold heart rate must be above your resting heart rate."
    sex = form.get("sex", "").strip() or None
    if sex not in (None, "M", "F"):
        errors["sex"] = "Choose female, male, or not set."
    name = form.get("goal_event_name", "").strip() or None
    priority = form.get("goal_event_priority", "").strip() or None
    raw_date = form.get("goal_event_date", "").strip()
    goal_day: date | None = None
    if name is not None and len(name) > 255:
        errors["goal_event_name"] = "Keep the name under 255 characters."
    if raw_date:
        try:
            goal_day = date.fromisoformat(raw_date)
        except ValueError:
            errors["goal_event_date"] = "Enter the date as YYYY-MM-DD, e.g. 2025-06-14."
        else:
            if goal_day < today:
                errors["goal_event_date"] = "Choose today or a later date."
            elif goal_day > today + timedelta(days=3 * 365):
                errors["goal_event_date"] = "Choose a date within the next three years."
    if name and not raw_date:
        errors["goal_event_date"] = "Give the event's date, or clear its name."
    if raw_date and not name and "goal_event_date" not in errors:
        errors["goal_event_name"] = "Give the event a name, or clear its date."
    if priority not in (None, "A", "B", "C"):
        errors["goal_event_priority"] = "Choose A, B or C."
    if errors:
        return None, errors
    has_goal = name is not None
    return (
        Values(
            ftp,
            lthr,
            pace,
            max_hr,
            resting,
            sex,
            weight,
            name,
            goal_day if has_goal else None,
            (priority or "A") if has_goal else None,
        ),
        {},
    )


def _pace_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def form_of(athlete: Athlete) -> dict[str, str]:
    """The form's fields as the athlete last saved them."""
    return {
        "ftp_watts": _text(athlete.ftp_watts),
        "threshold_hr": _text(athlete.threshold_hr),
        "threshold_pace": _pace_text(athlete.threshold_pace_s_per_km),
        "max_hr": _text(athlete.max_hr),
        "resting_hr": _text(athlete.resting_hr),
        "sex": athlete.sex or "",
        "weight_kg": _text(athlete.weight_kg),
        "goal_event_name": athlete.goal_event_name or "",
        "goal_event_date": athlete.goal_event_date.isoformat() if athlete.goal_event_date else "",
        "goal_event_priority": athlete.goal_event_priority or "A",
    }


def _render(
    request: Request,
    athlete_id: int,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    saved: str | None = None,
) -> Response:
    state = app_state(request)
    with state.sessions() as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            request.session.clear()
            return login_required(request)
        lines = threshold_lines(thresholds_for(session, athlete, state.clock().date()))
        shown = dict(form) if form is not None else form_of(athlete)
    return page(
        request,
        "settings.html",
        status_code=400 if errors else 200,
        form=shown,
        errors=errors or {},
        thresholds=lines,
        saved=saved,
        nav="settings",
    )


@router.get("/settings", response_class=HTMLResponse)
def settings(request: Request) -> Response:
    athlete_id = session_athlete(request)
    if athlete_id is None:
        return login_required(request)
    saved = request.session.pop("settings_saved", None)
    return _render(request, athlete_id, saved=saved if isinstance(saved, str) else None)


def _save(sessions: sessionmaker[Session], athlete_id: int, values: Values) -> bool:
    with transaction(sessions) as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            return False
        athlete.ftp_watts = values.ftp_watts
        athlete.threshold_hr = values.threshold_hr
        athlete.threshold_pace_s_per_km = values.threshold_pace_s_per_km
        athlete.max_hr = values.max_hr
        athlete.resting_hr = values.resting_hr
        athlete.sex = values.sex
        athlete.weight_kg = values.weight_kg
        athlete.goal_event_name = values.goal_event_name
        athlete.goal_event_date = values.goal_event_date
        athlete.goal_event_priority = values.goal_event_priority
        return True


@router.post("/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    csrf: str = Form(""),
    ftp_watts: str = Form(""),
    threshold_hr: str = Form(""),
    threshold_pace: str = Form(""),
    max_hr: str = Form(""),
    resting_hr: str = Form(""),
    sex: str = Form(""),
    weight_kg: str = Form(""),
    goal_event_name: str = Form(""),
    goal_event_date: str = Form(""),
    goal_event_priority: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    athlete_id = session_athlete(request)
    if athlete_id is None:
        return login_required(request)
    form = {
        "ftp_watts": ftp_watts,
        "threshold_hr": threshold_hr,
        "threshold_pace": threshold_pace,
        "max_hr": max_hr,
        "resting_hr": resting_hr,
        "sex": sex,
        "weight_kg": weight_kg,
        "goal_event_name": goal_event_name,
        "goal_event_date": goal_event_date,
        "goal_event_priority": goal_event_priority,
    }
    state = app_state(request)
    values, errors = parse(form, state.clock().date())
    if values is None:
        return _render(request, athlete_id, form, errors)
    if not _save(state.sessions, athlete_id, values):
        request.session.clear()
        return login_required(request)
    state.enqueue_recompute(athlete_id)
    # Post/redirect/get: reloading the page after saving does not post the form again.
    request.session["settings_saved"] = RECOMPUTING
    return RedirectResponse("/settings", 303)
