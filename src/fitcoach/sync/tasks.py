"""The sync's queue tasks: thin adapters that call ``fitcoach.sync`` and decide, by the
error's type (``fitcoach.sync.retries``), when to try again. Budget refusals reschedule
the task for the moment the budget says it may go; a revoked athlete, or a token without
permission to read activities, is not retried."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from huey import crontab

from fitcoach.activities.loads import recompute_requested
from fitcoach.core.clock import utc_now
from fitcoach.core.settings import load_settings
from fitcoach.core.tasks import TaskPriority, huey
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, MissingScope, RateLimited
from fitcoach.sync import repository
from fitcoach.sync.activities import BACKFILL_RETRY_AFTER, incremental_sync, record_failure
from fitcoach.sync.backfill import (
    DEFERRED_BY_DEFAULT,
    backfill_step,
    stalled_backfills,
)
from fitcoach.sync.connection import reconnect_needed
from fitcoach.sync.context import process_context
from fitcoach.sync.instrumentation import sync_kind
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.retention import apply_retention
from fitcoach.sync.retries import Failure, classify, retry_delay
from fitcoach.sync.schedule import due_for_daily_sync
from fitcoach.sync.upgrades import upgrade_streams

log = logging.getLogger("fitcoach.sync")

__all__ = ["BACKFILL_RETRY_AFTER", "backfill", "sync_athlete"]

# An incremental sync the database failed is tried this many more times, then left to
# the next daily round.
DATABASE_RETRIES = 6


def _later(retry_at: datetime | None) -> datetime:
    return retry_at or datetime.now(UTC) + DEFERRED_BY_DEFAULT


@huey.task(priority=TaskPriority.BACKFILL)
def backfill(athlete_id: int, attempt: int = 0) -> None:
    """One page of history; queues the next page, or its retry, as the page's outcome
    says (``fitcoach.sync.backfill``): no error ends a backfill silently."""
    step = backfill_step(process_context(), athlete_id, attempt, Priority.BACKFILL)
    if step.at is None:
        return
    if step.at > datetime.now(UTC):
        backfill.schedule((athlete_id, step.attempt), eta=step.at)
    else:
        backfill(athlete_id, step.attempt)


def start_backfill(athlete_id: int) -> None:
    """A new connection: its first page is queued ahead of other backfills (someone waits)."""
    backfill(athlete_id, priority=TaskPriority.INTERACTIVE)


@huey.task(priority=TaskPriority.SCHEDULED)
def sync_athlete(athlete_id: int, priority: int = Priority.SCHEDULED, attempt: int = 0) -> None:
    sync = process_context()
    try:
        incremental_sync(sync, athlete_id, priority)
    except (BudgetExhausted, RateLimited) as refusal:
        sync_athlete.schedule((athlete_id, priority), eta=_later(refusal.retry_at))
    except MissingScope:
        reconnect_needed(sync, athlete_id)
    except AthleteDisconnected:
        return
    except Exception as error:
        record_failure(sync, athlete_id, error)
        failure = classify(error)
        # The database comes back by itself: try again soon. Strava's failures and bad
        # data wait for the next daily round (a quarter of an hour at most).
        if failure is Failure.DATABASE and attempt < DATABASE_RETRIES:
            delay = retry_delay(failure, attempt + 1).total_seconds()
            sync_athlete.schedule((athlete_id, priority, attempt + 1), delay=delay)


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


@huey.periodic_task(crontab(minute="*/10"))
def resume_stalled_backfills() -> None:
    """Every 10 minutes: a backfill due long ago that did not move on lost its task (a
    worker killed, the queue emptied, an error before this was classified): queue it."""
    for athlete_id in stalled_backfills(process_context()):
        backfill(athlete_id)


@huey.task(priority=TaskPriority.INTERACTIVE)
def manual_refresh(athlete_id: int, ask_strava: bool = False) -> dict[str, Any]:
    with sync_kind("manual"):
        return manual_sync(process_context(), athlete_id, ask_strava)


@huey.periodic_task(crontab(minute="5-59/15"), priority=TaskPriority.BACKFILL)
def stream_upgrades() -> None:
    """Every 15 minutes: streams for the least reliable loads, in spare budget only."""
    done = upgrade_streams(process_context(), datetime.now(UTC))
    log.info(
        "stream upgrades",
        extra={"upgraded": done.upgraded, "fetched": done.fetched, "stopped": done.stopped},
    )


@huey.periodic_task(crontab(minute="7"))
def strava_data_retention() -> None:
    """Hourly: delete Strava API data older than STRAVA_DATA_RETENTION_DAYS, if set."""
    days = load_settings().strava_data_retention_days
    if days is not None:
        apply_retention(process_context().sessions, datetime.now(UTC), days)


@huey.task(priority=TaskPriority.SCHEDULED)
def recompute_loads(athlete_id: int) -> int:
    """After a threshold change: the loads it affects (the athlete's request says from which
    day), with the thresholds in force on each activity's date."""
    return recompute_requested(process_context().sessions, athlete_id, utc_now)
