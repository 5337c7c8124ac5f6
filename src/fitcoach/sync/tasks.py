"""The sync's queue tasks: thin adapters that call ``fitcoach.sync`` and decide, by the
error's type, whether to retry. Budget refusals reschedule the task for the moment the
budget says it may go; a revoked athlete is not retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from huey import crontab

from fitcoach.activities.loads import compute_loads
from fitcoach.core.settings import load_settings
from fitcoach.core.tasks import TaskPriority, huey
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.sync import repository
from fitcoach.sync.activities import (
    BACKFILL_RETRY_AFTER,
    backfill_page,
    incremental_sync,
    record_failure,
)
from fitcoach.sync.context import process_context
from fitcoach.sync.instrumentation import sync_kind
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.retention import apply_retention
from fitcoach.sync.schedule import due_for_daily_sync

# A refusal that names no time is tried again after this long.
DEFERRED_BY_DEFAULT = timedelta(minutes=15)


def _later(retry_at: datetime | None) -> datetime:
    return retry_at or datetime.now(UTC) + DEFERRED_BY_DEFAULT


@huey.task(priority=TaskPriority.BACKFILL)
def backfill(athlete_id: int) -> None:
    """One page of history; enqueues the next page while there is more."""
    sync = process_context()
    try:
        result = backfill_page(sync, athlete_id, Priority.BACKFILL)
    except (BudgetExhausted, RateLimited) as refusal:
        backfill.schedule((athlete_id,), eta=_later(refusal.retry_at))
        return
    except AthleteDisconnected:
        return
    except StravaError as error:
        record_failure(sync, athlete_id, error)
        backfill.schedule((athlete_id,), delay=BACKFILL_RETRY_AFTER.total_seconds())
        return
    if result.more:
        backfill(athlete_id)


def start_backfill(athlete_id: int) -> None:
    """A new connection: its first page is queued ahead of other backfills (someone waits)."""
    backfill(athlete_id, priority=TaskPriority.INTERACTIVE)


@huey.task(priority=TaskPriority.SCHEDULED)
def sync_athlete(athlete_id: int, priority: int = Priority.SCHEDULED) -> None:
    sync = process_context()
    try:
        incremental_sync(sync, athlete_id, priority)
    except (BudgetExhausted, RateLimited) as refusal:
        sync_athlete.schedule((athlete_id, priority), eta=_later(refusal.retry_at))
    except AthleteDisconnected:
        return
    except StravaError as error:
        record_failure(sync, athlete_id, error)


@huey.periodic_task(crontab(minute="*/15"))
def daily_sync() -> None:
    """The safety net under webhooks: see ``fitcoach.sync.schedule``."""
    for athlete_id in due_for_daily_sync(process_context().sessions, datetime.now(UTC)):
        sync_athlete(athlete_id, Priority.SCHEDULED)


def resume_backfills() -> int:
    """Queue the backfill of every connected athlete whose history is not complete.

    The cursor lives in the database, so a backfill whose task died with its worker (a
    kill -9 loses the task it was running) continues where its last page ended.
    """
    with process_context().sessions() as session:
        pending = repository.unfinished_backfills(session)
    for athlete_id in pending:
        backfill(athlete_id)
    return len(pending)


@huey.task(priority=TaskPriority.INTERACTIVE)
def manual_refresh(athlete_id: int, ask_strava: bool = False) -> dict[str, Any]:
    with sync_kind("manual"):
        return manual_sync(process_context(), athlete_id, ask_strava)


@huey.periodic_task(crontab(minute="7"))
def strava_data_retention() -> None:
    """Hourly: delete Strava API data older than STRAVA_DATA_RETENTION_DAYS, if set."""
    days = load_settings().strava_data_retention_days
    if days is not None:
        apply_retention(process_context().sessions, datetime.now(UTC), days)


@huey.task(priority=TaskPriority.SCHEDULED)
def recompute_loads(athlete_id: int) -> int:
    """After a settings change: every load of the athlete, with the new thresholds."""
    return compute_loads(process_context().sessions, athlete_id, datetime.now(UTC).date(), False)
