"""The plan pages (/plan, a session's page), the athlete's changes, the session files
(.fit, .zwo), the calendar feed and ``GET /api/plan``. HTTP only: the decisions are
``planning.service``'s."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fitcoach.athletes.local_day import athlete_today
from fitcoach.coach import plan_icalendar, workout_fit, workout_zwo
from fitcoach.core.db import transaction
from fitcoach.core.errors import NotLoggedIn
from fitcoach.planning import service
from fitcoach.planning.errors import NotExportable, PlanInputError
from fitcoach.planning.schemas import (
    HOURS_FIELDS,
    WEEKDAY_NAMES,
    goal_form,
    parse_day,
    parse_goal_form,
)
from fitcoach.planning.views import (
    outline,
    step_chart,
    swap_choices,
    type_choices,
    weeks_view,
)
from fitcoach.web.deps import AppSettings, Now, OptionalAthlete, Sessions
from fitcoach.web.page_common import login_required
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import page

router = APIRouter()
NOTE = "plan_note"
SPORTS = (("ride", "Ride"), ("run", "Run"), ("swim", "Swim"))
# A session can be swapped with the sessions of the next two weeks.
SWAP_DAYS = timedelta(days=13)


def feed_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/calendar/{token}.ics"


def _render(
    request: Request,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
    athlete_id: int,
    form: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with transaction(sessions) as session:
        today = athlete_today(session, athlete_id, now)
        # A page view is one of the moments the plan catches up with what was done.
        if errors is None:
            service.replan_due(session, athlete_id, now=now)
        stored = service.goal_settings(session, athlete_id, today)
        context: dict[str, Any] = {}
        if stored is not None:
            span = service.plan_span(session, athlete_id, None, None, today=today)
            context = {
                "plan": span.plan,
                "weeks": weeks_view(span, today),
                "outline": outline(span),
                "history": service.history(session, athlete_id),
                "feed_url": feed_url(settings.public_url, service.feed_token(session, athlete_id)),
                "report": span.report,
            }
    note = request.session.pop(NOTE, None)
    return page(
        request,
        "plan.html",
        status_code=400 if errors else 200,
        form=form if form is not None else goal_form(stored),
        chosen=chosen if chosen is not None else list(stored.sports if stored else ("ride",)),
        errors=errors or {},
        weekdays=list(zip(HOURS_FIELDS, WEEKDAY_NAMES, strict=True)),
        sports=SPORTS,
        note=note if isinstance(note, str) else None,
        today=today,
        nav="plan",
        **context,
    )


@router.get("/plan", response_class=HTMLResponse)
def plan_page(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
) -> Response:
    if athlete_id is None:
        return login_required(request)
    return _render(request, sessions, settings, now, athlete_id)


@router.post("/plan/goal", response_class=HTMLResponse)
async def save_goal(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    if athlete_id is None:
        return login_required(request)
    fields = {k: str(v) for k, v in form.items() if k not in ("csrf", "sports")}
    chosen = [str(v) for v in form.getlist("sports")]
    with sessions() as session:
        today = athlete_today(session, athlete_id, now)
    values, errors = parse_goal_form(fields, chosen, today)
    if values is None:
        return _render(request, sessions, settings, now, athlete_id, fields, chosen, errors)
    with transaction(sessions) as session:
        plan = service.set_goal(session, athlete_id, values, now=now)
    request.session[NOTE] = f"Plan version {plan.version} made: {len(plan.days)} days planned."
    return RedirectResponse("/plan", 303)


def _changed(request: Request, version: int, what: str) -> RedirectResponse:
    request.session[NOTE] = f"{what} Plan version {version}: the week is planned again."
    return RedirectResponse("/plan", 303)


@router.post("/plan/workouts/{workout_id}/skip")
def skip(
    request: Request,
    workout_id: int,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    now: Now,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    with transaction(sessions) as session:
        plan = service.skip_workout(session, athlete_id, workout_id, now=now)
    return _changed(request, plan.version, "Skipped.")


@router.post("/plan/workouts/{workout_id}/move")
def move(
    request: Request,
    workout_id: int,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    to_day: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    day = parse_day(to_day, "to_day")
    with transaction(sessions) as session:
        plan = service.move_workout(session, athlete_id, workout_id, day, now=now)
    return _changed(request, plan.version, f"Moved to {day:%a %d %b}.")


def _whole(value: str, name: str) -> int:
    try:
        return int(value.strip())
    except ValueError as error:
        raise PlanInputError(f"'{name}' must be a whole number, got {value!r}") from error


@router.post("/plan/workouts/{workout_id}/replace")
def replace_workout(
    request: Request,
    workout_id: int,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    workout_type: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "",
) -> Response:
    """Put another workout of the library on the session's day."""
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    length = _whole(minutes, "minutes")
    with transaction(sessions) as session:
        detail = service.workout_detail(session, athlete_id, workout_id)
        plan = service.add_workout(
            session,
            athlete_id,
            detail.row.day,
            detail.row.sport,
            workout_type,
            length,
            now=now,
        )
    return _changed(request, plan.version, "Replaced.")


@router.post("/plan/workouts/{workout_id}/swap")
def swap(
    request: Request,
    workout_id: int,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    other: Annotated[str, Form()] = "",
) -> Response:
    """Swap the days of two sessions."""
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    other_id = _whole(other, "other")
    with transaction(sessions) as session:
        plan = service.swap_workouts(session, athlete_id, workout_id, other_id, now=now)
    return _changed(request, plan.version, "Swapped.")


@router.post("/plan/feed/rotate")
def rotate(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    with transaction(sessions) as session:
        service.rotate_feed(session, athlete_id)
    request.session[NOTE] = "A new calendar address: the old one no longer works."
    return RedirectResponse("/plan#feed", 303)


def _download(data: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _file_name(detail: service.WorkoutDetail, suffix: str) -> str:
    w = detail.day.workout
    return f"fitcoach-{detail.day.day.isoformat()}-{w.sport}-{w.type.value}.{suffix}"


@router.get("/plan/workouts/{workout_id}.fit")
def workout_fit_file(
    workout_id: int, athlete_id: OptionalAthlete, sessions: Sessions, now: Now
) -> Response:
    if athlete_id is None:
        raise NotLoggedIn("You are not logged in.")
    with sessions() as session:
        detail = service.workout_detail(session, athlete_id, workout_id)
    data = workout_fit(detail.day.workout, created=now)
    return _download(data, "application/vnd.ant.fit", _file_name(detail, "fit"))


@router.get("/plan/workouts/{workout_id}.zwo")
def workout_zwo_file(workout_id: int, athlete_id: OptionalAthlete, sessions: Sessions) -> Response:
    if athlete_id is None:
        raise NotLoggedIn("You are not logged in.")
    with sessions() as session:
        detail = service.workout_detail(session, athlete_id, workout_id)
    if detail.day.workout.sport not in ("ride", "run"):
        raise NotExportable("Zwift workouts are rides or runs: download the .fit file instead.")
    text = workout_zwo(detail.day.workout)
    return _download(text, "application/xml", _file_name(detail, "zwo"))


@router.get("/plan/workouts/{workout_id}", response_class=HTMLResponse)
def workout_page(
    request: Request, workout_id: int, athlete_id: OptionalAthlete, sessions: Sessions, now: Now
) -> Response:
    if athlete_id is None:
        return login_required(request)
    with sessions() as session:
        today = athlete_today(session, athlete_id, now)
        detail = service.workout_detail(session, athlete_id, workout_id)
        span = service.plan_span(session, athlete_id, today, today + SWAP_DAYS, today=today)
    w = detail.day.workout
    return page(
        request,
        "workout.html",
        detail=detail,
        workout=w,
        steps=[service.step_json(b) for b in w.blocks],
        bars=step_chart(w),
        zwift=w.sport in ("ride", "run"),
        changeable=detail.day.day >= today,
        types=type_choices(w.sport),
        swaps=swap_choices(span, detail.id, today),
        minutes=detail.row.minutes,
        nav="plan",
    )


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, sessions: Sessions, now: Now) -> Response:
    """The plan as an iCalendar feed; the secret in the address is the only key."""
    with sessions() as session:
        plan = service.plan_for_feed(session, token)
    data = plan_icalendar(plan, calendar_key=token[:8], stamp=now)
    return Response(data, media_type="text/calendar; charset=utf-8")


@router.get("/api/plan")
def api_plan(
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    now: Now,
    first: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    last: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    """The plan's days from ``from`` to ``to`` (default: all of it), each with its
    sessions, their steps, planned load and duration, status and compliance."""
    if athlete_id is None:
        raise NotLoggedIn("You are not logged in.")
    start = parse_day(first, "from") if first else None
    end = parse_day(last, "to") if last else None
    with transaction(sessions) as session:
        service.replan_due(session, athlete_id, now=now)
        today = athlete_today(session, athlete_id, now)
        return service.plan_document(session, athlete_id, start, end, today=today)
