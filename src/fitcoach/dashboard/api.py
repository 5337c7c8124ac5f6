"""The JSON API for the athlete's own activities, served from the database.

Identity comes from the session cookie only. Zero Strava calls, unless the athlete is
dirty and the budget allows one incremental call; the answer says how fresh it is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from fitcoach.activities.queries import ApiActivityRow
from fitcoach.athletes.local_day import athlete_today
from fitcoach.coach import daily_numbers
from fitcoach.core.errors import BadInput, NotLoggedIn
from fitcoach.dashboard.listing import list_request, read_list_page
from fitcoach.dashboard.queries import read_goal_history
from fitcoach.sync.context import Sync
from fitcoach.sync.freshness import refresh_for_view
from fitcoach.web.deps import CurrentAthlete, Now, PageReads, Queue

router = APIRouter(prefix="/api/strava")
# The athlete's own numbers: not Strava's, whatever their activities came from.
fitness_router = APIRouter(prefix="/api")


def strava_url(strava_id: int | None) -> str | None:
    """The activity on Strava, for one Strava knows (its Strava id is confirmed)."""
    return None if strava_id is None else f"https://www.strava.com/activities/{strava_id}"


def activity_json(row: ApiActivityRow) -> dict[str, Any]:
    """An activity as the API shows it; a Strava link only where Strava has it."""
    activity: dict[str, Any] = row._asdict()
    for key in ("start_date", "start_date_local"):  # isoformat: "+00:00", as Strava's UTC
        if activity[key] is not None:
            activity[key] = activity[key].isoformat()
    activity["strava_url"] = strava_url(row.strava_id)
    return activity


def parse_time(value: str | None, name: str) -> datetime | None:
    """Epoch seconds or ISO 8601 (UTC when it names no offset)."""
    if value is None:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError) as error:
        raise BadInput(f"'{name}' must be epoch seconds or ISO 8601") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.get("/activities")
def activities(
    athlete_id: CurrentAthlete,
    reader: PageReads,
    sync: Sync,
    queue: Queue,
    after: Annotated[str | None, Query(description="epoch seconds or ISO 8601")] = None,
    before: Annotated[str | None, Query(description="epoch seconds or ISO 8601")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="the next_cursor of the previous page")] = None,
    sport: Annotated[str | None, Query(description="a sport type, e.g. Ride")] = None,
    since: Annotated[str | None, Query(description="first day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(description="last day, YYYY-MM-DD")] = None,
    q: Annotated[str | None, Query(description="words the name contains")] = None,
    sort: Annotated[str | None, Query(description="date, load, duration or distance")] = None,
    order: Annotated[str | None, Query(description="desc (the default) or asc")] = None,
) -> dict[str, Any]:
    """The session athlete's activities, newest first unless sorted otherwise, served from
    the database; ``next_cursor`` (opaque) asks for the next page of the same list."""
    request = list_request(sport=sport, since=since, until=until, search=q, sort=sort, order=order)
    filters = replace(
        request.filters,
        started_after=parse_time(after, "after"),
        started_before=parse_time(before, "before"),
    )
    request = replace(request, filters=filters)
    # Outside a read turn: this may wait on Strava.
    freshness = refresh_for_view(sync, athlete_id)
    if freshness.refreshed:
        # What the sync brought reaches the plan now, as after the queue's own syncs.
        queue.replan(athlete_id)
    with reader.turn() as connection:
        found = read_list_page(connection, athlete_id, request, cursor, limit)
    return {
        "activities": [activity_json(row) for row in found.rows],
        "next_cursor": found.next_cursor,
        "freshness": {
            "last_sync_at": freshness.last_sync_at.isoformat() if freshness.last_sync_at else None,
            "minutes_old": freshness.minutes_old,
            "refreshed": freshness.refreshed,
            "note": freshness.note,
        },
    }


@fitness_router.get("/fitness")
def fitness(
    athlete_id: CurrentAthlete,
    reader: PageReads,
    now: Now,
    days: Annotated[int, Query(ge=1, le=3660, description="days up to today")] = 90,
) -> dict[str, Any]:
    """Each day's numbers as the pages show them: the morning's fitness (CTL), fatigue
    (ATL) and form (TSB = fitness − fatigue), the ramp of the week before, and the day's
    load (docs/metrics.md, "The numbers of a day")."""
    with reader.turn() as connection:
        today = athlete_today(connection, athlete_id, now)
        reads = read_goal_history(connection, athlete_id)
    if reads is None:
        raise NotLoggedIn("You are not logged in.")
    numbers = daily_numbers(reads.history.series_until(today))
    first = max(numbers.start, today - timedelta(days=days - 1))
    return {
        "convention": "morning: fitness and fatigue at the end of the day before; "
        "form = fitness - fatigue; load is the day's own",
        "days": [
            {
                "date": day.day.isoformat(),
                "load": round(day.load, 1),
                "fitness": round(day.ctl, 1),
                "fatigue": round(day.atl, 1),
                "form": round(day.tsb, 1),
                "ramp": round(day.ramp, 1),
            }
            for day in (
                numbers.on(first + timedelta(days=i)) for i in range((today - first).days + 1)
            )
        ],
    }
