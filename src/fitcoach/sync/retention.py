"""Retention of Strava API data, and the daily loads fitcoach keeps after it.

Strava's 2026 API policy (5.5) allows a 7-day cache of Strava data. With
``STRAVA_DATA_RETENTION_DAYS`` set, activities that came from the API (and their streams)
are deleted once they were fetched that many days ago. Their training load is fitcoach's
own derived number: before a row goes, its load is added to ``daily_loads`` for its day,
so the fitness chart (CTL/ATL/TSB) still covers the whole past. Activities from the
athlete's own files are never touched.

The cache age is counted from ``fetched_at`` (the first time fitcoach stored the row),
not from the activity's date: it is how long fitcoach has held the copy that matters.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities import repository
from fitcoach.activities.loads import compute_loads
from fitcoach.core.db import transaction

log = logging.getLogger("fitcoach.retention")

RETENTION_DELETED = Counter(
    "fitcoach_retention_deleted",
    "Strava API data deleted by the retention policy",
    ["kind"],
)


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime | None
    activities_deleted: int = 0
    streams_deleted: int = 0
    days_carried: int = 0


def apply_retention(
    sessions: sessionmaker[Session], now: datetime, retention_days: int | None
) -> RetentionResult:
    """Delete API-sourced activities fetched before ``now - retention_days``, keeping
    their load per day. Unset retention keeps everything."""
    if retention_days is None:
        return RetentionResult(None)
    cutoff = now - timedelta(days=retention_days)
    with sessions() as session:
        athletes = repository.athletes_with_expired_api_data(session, cutoff)
    deleted = streams = days = 0
    for athlete_id in athletes:
        # A row must carry its load before it goes; one fetched moments ago may have none.
        compute_loads(sessions, athlete_id, now.date())
        with transaction(sessions) as session:
            a, s, d = _expire_athlete(session, athlete_id, cutoff)
        deleted, streams, days = deleted + a, streams + s, days + d
    RETENTION_DELETED.labels("activities").inc(deleted)
    RETENTION_DELETED.labels("streams").inc(streams)
    if deleted:
        log.info(
            "strava data retention",
            extra={"deleted": deleted, "streams": streams, "cutoff": cutoff.isoformat()},
        )
    return RetentionResult(cutoff, deleted, streams, days)


def _expire_athlete(session: Session, athlete_id: int, cutoff: datetime) -> tuple[int, int, int]:
    rows = repository.expired_api_loads(session, athlete_id, cutoff)
    per_day: dict[date, float] = defaultdict(float)
    for _, day, load in rows:
        per_day[day] += load
    for day, load in per_day.items():
        repository.carry_load(session, athlete_id, day, load)
    streams = repository.delete_with_streams(session, [activity_id for activity_id, _, _ in rows])
    return len(rows), streams, len(per_day)
