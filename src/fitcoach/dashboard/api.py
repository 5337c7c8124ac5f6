"""The JSON API for the athlete's own activities, served from the database.

Identity comes from the session cookie only. Zero Strava calls, unless the athlete is
dirty and the budget allows one incremental call; the answer says how fresh it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Connection

from fitcoach.activities.queries import ApiActivityRow, api_activities
from fitcoach.core.errors import BadInput
from fitcoach.models import Source
from fitcoach.sync.context import Sync
from fitcoach.sync.freshness import refresh_now, stored_freshness
from fitcoach.sync.repository import sync_marks
from fitcoach.web.deps import CurrentAthlete, PageReads

router = APIRouter(prefix="/api/strava")


def activity_json(row: ApiActivityRow) -> dict[str, Any]:
    """An activity as the API shows it; a Strava link only where Strava has it."""
    activity: dict[str, Any] = row._asdict()
    for key in ("start_date", "start_date_local"):  # isoformat: "+00:00", as Strava's UTC
        if activity[key] is not None:
            activity[key] = activity[key].isoformat()
    activity["strava_url"] = (
        f"https://www.strava.com/activities/{row.id}" if row.source == Source.STRAVA_API else None
    )
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
    after: Annotated[str | None, Query(description="epoch seconds or ISO 8601")] = None,
    before: Annotated[str | None, Query(description="epoch seconds or ISO 8601")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="the next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """The session athlete's activities, newest first, served from the database."""
    after_time = parse_time(after, "after")
    before_time = parse_time(cursor, "cursor") or parse_time(before, "before")

    def page(connection: Connection) -> list[ApiActivityRow]:
        return api_activities(
            connection, athlete_id, limit=limit, before=before_time, after=after_time
        )

    # One turn when the athlete has no news (nearly always); else the refresh runs
    # between two, since it may wait on Strava.
    with reader.turn() as connection:
        marks = sync_marks(connection, athlete_id)
        rows = None if marks.refresh_due else page(connection)
    if rows is None:
        freshness = refresh_now(sync, athlete_id)
        with reader.turn() as connection:
            rows = page(connection)
    else:
        freshness = stored_freshness(sync.clock(), marks.last_sync_at)
    next_cursor = str(int(rows[-1].start_date.timestamp())) if len(rows) == limit else None
    return {
        "activities": [activity_json(row) for row in rows],
        "next_cursor": next_cursor,
        "freshness": {
            "last_sync_at": freshness.last_sync_at.isoformat() if freshness.last_sync_at else None,
            "minutes_old": freshness.minutes_old,
            "refreshed": freshness.refreshed,
            "note": freshness.note,
        },
    }
