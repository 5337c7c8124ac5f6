"""The dashboard path: serve from the database, refreshing first only when it is worth it.

A page view costs no Strava call unless the athlete is dirty (a webhook said there is
news) and the budget lets a person's request through; otherwise the page says how fresh
its data is, and why it could not be fresher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.sync.activities import incremental_sync, record_failure
from fitcoach.sync.context import SyncContext
from fitcoach.sync.repository import sync_marks


@dataclass(frozen=True)
class Freshness:
    last_sync_at: datetime | None
    minutes_old: int | None
    refreshed: bool
    note: str | None = None


def stored_freshness(
    now: datetime,
    last_sync_at: datetime | None,
    refreshed: bool = False,
    note: str | None = None,
) -> Freshness:
    """How fresh the stored data is at ``now``, given the athlete's last sync."""
    minutes = None if last_sync_at is None else int((now - last_sync_at).total_seconds() // 60)
    return Freshness(last_sync_at, minutes, refreshed, note)


def refresh_for_view(context: SyncContext, athlete_id: int) -> Freshness:
    """Refresh first if the athlete is dirty, then say how fresh the data is."""
    with context.sessions() as session:
        marks = sync_marks(session, athlete_id)
    if not marks.refresh_due:
        # Nothing to refresh: what was just read is what the page shows.
        return stored_freshness(context.clock(), marks.last_sync_at)
    return refresh_now(context, athlete_id)


def refresh_now(context: SyncContext, athlete_id: int) -> Freshness:
    """One incremental sync for a dirty athlete, then the freshness it left."""
    note: str | None = None
    refreshed = False
    try:
        incremental_sync(context, athlete_id, Priority.INTERACTIVE)
        refreshed = True
    except (BudgetExhausted, RateLimited) as refusal:
        when = f" at {refusal.retry_at:%H:%M} UTC" if refusal.retry_at else " later"
        note = (
            "Strava's request budget is used up for now, so this shows your stored "
            f"data; new activities will appear{when}."
        )
    except AthleteDisconnected:
        note = "fitcoach lost access to your Strava account: connect again to update."
    except StravaError as error:
        record_failure(context, athlete_id, error)
        note = "Strava is not answering just now; this shows your stored data."
    return describe(context, athlete_id, refreshed, note)


def describe(
    context: SyncContext, athlete_id: int, refreshed: bool = False, note: str | None = None
) -> Freshness:
    with context.sessions() as session:
        marks = sync_marks(session, athlete_id)
    return stored_freshness(context.clock(), marks.last_sync_at, refreshed, note)
