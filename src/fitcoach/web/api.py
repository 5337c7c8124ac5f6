"""The JSON API for the athlete's own data: activities from the database, manual refresh.

Identity comes from the session cookie only; state-changing calls need the CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import orjson
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Select, bindparam, select
from starlette.concurrency import run_in_threadpool

from fitcoach.store.activities import newest_first_of
from fitcoach.store.cursor_reads import fetch
from fitcoach.store.models import Activity, SyncState
from fitcoach.sync.freshness import refresh_now, stored_freshness, sync_marks
from fitcoach.web.security import check_csrf, require_athlete
from fitcoach.web.state import AppState

router = APIRouter(prefix="/api/strava")

# One manual refresh per athlete per minute: a person pressing twice gets the same news.
MANUAL_REFRESH_INTERVAL = timedelta(seconds=60)
# A press within this long after the previous one asks Strava even when webhooks report
# nothing new: the person is looking for an activity that should be there.
ASK_AGAIN_WITHIN = timedelta(minutes=10)


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.fitcoach
    return state


# What the API returns of an activity, by the name it has there: not the Strava document
# in ``raw``, the largest column by far, nor anything else it does not show. Table
# columns rather than ORM attributes: the rows are plain tuples, with no ORM loading step
# for a list that builds no objects.
_ACTIVITIES = Activity.__table__.c
_FIELDS = {
    "id": _ACTIVITIES.id,
    "name": _ACTIVITIES.name,
    "sport_type": _ACTIVITIES.sport_type,
    "start_date": _ACTIVITIES.start_date,
    "start_date_local": _ACTIVITIES.start_date_local,
    "moving_time": _ACTIVITIES.moving_time_s,
    "elapsed_time": _ACTIVITIES.elapsed_time_s,
    "distance": _ACTIVITIES.distance_m,
    "total_elevation_gain": _ACTIVITIES.elevation_gain_m,
    "average_watts": _ACTIVITIES.average_watts,
    "weighted_average_watts": _ACTIVITIES.weighted_average_watts,
    "average_heartrate": _ACTIVITIES.average_heartrate,
    "load": _ACTIVITIES.load,
    "load_method": _ACTIVITIES.load_method,
    "source": _ACTIVITIES.source,
}
_NAMES = tuple(_FIELDS)
_ID = _NAMES.index("id")


def _activity_json(row: tuple[Any, ...]) -> dict[str, Any]:
    # Paired by position: reading a page of rows by name costs more than the query. The
    # times stay datetimes: orjson writes them as isoformat() would, in a fraction of the
    # time.
    activity = dict(zip(_NAMES, row, strict=True))
    activity["strava_url"] = f"https://www.strava.com/activities/{row[_ID]}"
    return activity


@cache
def _activity_page(with_before: bool, with_after: bool) -> Select[*tuple[Any, ...]]:
    """The page's query for one combination of bounds, built once with bound parameters:
    a new statement per request costs more to build and key for SQLAlchemy's compiled
    cache than the query takes to run."""
    return newest_first_of(
        select(*_FIELDS.values()),
        bindparam("athlete_id"),
        before=bindparam("before") if with_before else None,
        after=bindparam("after") if with_after else None,
        limit=bindparam("limit"),
    )


def _parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError) as error:
        raise HTTPException(400, f"'{name}' must be epoch seconds or ISO 8601") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/activities", response_model=dict[str, Any])
def activities(
    request: Request,
    after: str | None = Query(None, description="epoch seconds or ISO 8601"),
    before: str | None = Query(None, description="epoch seconds or ISO 8601"),
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = Query(None, description="the next_cursor of the previous page"),
) -> Response:
    """The session athlete's activities, newest first, served from the database.

    Zero Strava calls, unless the athlete is dirty and the budget allows one incremental
    call; the answer says how fresh the data is.
    """
    athlete_id = require_athlete(request)
    state = _state(request)
    after_time = _parse_time(after, "after")
    before_time = _parse_time(cursor, "cursor") or _parse_time(before, "before")
    query = _activity_page(before_time is not None, after_time is not None)
    values = dict(athlete_id=athlete_id, before=before_time, after=after_time, limit=limit)
    context = state.sync_context()
    # One connection when there is nothing to refresh: the sync marks, then the page.
    # A Core connection, not an ORM session: two reads that build no objects.
    with state.page_read() as connection:
        marks = sync_marks(connection, athlete_id)
        if not marks.refresh_due:
            freshness = stored_freshness(context, marks.last_sync_at)
            rows = fetch(connection, query, values)
    if marks.refresh_due:  # outside the turn: this may wait on Strava
        freshness = refresh_now(context, athlete_id)
        with state.page_read() as connection:
            rows = fetch(connection, query, values)
    next_cursor = str(int(rows[-1].start_date.timestamp())) if len(rows) == limit else None
    answer = {
        "activities": [_activity_json(row) for row in rows],
        "next_cursor": next_cursor,
        "freshness": {
            "last_sync_at": freshness.last_sync_at.isoformat() if freshness.last_sync_at else None,
            "minutes_old": freshness.minutes_old,
            "refreshed": freshness.refreshed,
            "note": freshness.note,
        },
    }
    # Serialised directly, not validated against the declared model in another thread
    # first: orjson writes a page in a third of the time pydantic's serialiser takes.
    return Response(orjson.dumps(answer), media_type="application/json")


@router.post("/sync", status_code=202)
async def manual_sync(request: Request, x_csrf_token: str | None = Header(None)) -> JSONResponse:
    """Queue a manual refresh of the session athlete's activities; answers at once."""
    form = await request.form() if not x_csrf_token else None
    submitted = x_csrf_token or (str(form.get("csrf", "")) if form is not None else "")
    check_csrf(request, submitted)
    athlete_id = require_athlete(request)
    state = _state(request)
    last = await run_in_threadpool(_last_sync, state, athlete_id)
    now = state.clock()
    if last is not None and now - last < MANUAL_REFRESH_INTERVAL:
        wait = int((MANUAL_REFRESH_INTERVAL - (now - last)).total_seconds()) + 1
        raise HTTPException(
            429,
            f"Your activities were refreshed {int((now - last).total_seconds())} s ago; "
            f"try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    pressed_before = request.session.get("refresh_pressed_at")
    ask_strava = isinstance(pressed_before, int | float) and (
        0 <= now.timestamp() - pressed_before < ASK_AGAIN_WITHIN.total_seconds()
    )
    request.session["refresh_pressed_at"] = now.timestamp()
    job = state.enqueue_sync(athlete_id, ask_strava)
    jobs = [j for j in request.session.get("sync_jobs", []) if isinstance(j, str)][-4:]
    request.session["sync_jobs"] = [*jobs, job]
    return JSONResponse(
        {"job": job, "status": "queued", "progress_url": f"/api/strava/sync/{job}"},
        status_code=202,
    )


def _last_sync(state: AppState, athlete_id: int) -> datetime | None:
    with state.sessions() as session:
        sync_state = session.get(SyncState, athlete_id)
        return sync_state.last_sync_at if sync_state else None


@router.get("/sync/{job}")
def sync_progress(request: Request, job: str) -> dict[str, Any]:
    """Progress of a manual refresh started in this session."""
    require_athlete(request)
    if job not in request.session.get("sync_jobs", []):
        raise HTTPException(404, "No refresh with this id was started in this session.")
    return {"job": job, **_state(request).sync_status(job)}
