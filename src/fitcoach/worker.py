"""The task queue: huey on SQLite in the embedded mode, on Redis in production.

Tasks are thin adapters: build the sync context, call into ``fitcoach.sync``, and decide
retry or not by the error's type. Budget refusals reschedule the task for the moment the
budget says it may go; a revoked athlete is not retried.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from huey import Huey, PriorityRedisHuey, SqliteHuey, crontab
from huey.exceptions import TaskException
from sqlalchemy import select

from fitcoach.monitoring.exporter import configure_worker
from fitcoach.monitoring.metrics import sync_kind
from fitcoach.settings import load_settings
from fitcoach.store.crypto import key_ring
from fitcoach.store.engine import make_engine, session_factory
from fitcoach.store.models import Athlete, SyncState
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.strava.factory import strava_client
from fitcoach.sync.activities import backfill_page, incremental_sync, record_failure
from fitcoach.sync.context import SyncContext
from fitcoach.sync.loads import compute_loads
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.schedule import due_for_daily_sync
from fitcoach.sync.webhooks import process_event, unprocessed_event_ids

log = logging.getLogger("fitcoach.worker")

INTERACTIVE, WEBHOOK = Priority.INTERACTIVE, Priority.WEBHOOK
SCHEDULED, BACKFILL = Priority.SCHEDULED, Priority.BACKFILL
# huey runs higher numbers first, in the budget's order.
QUEUE_PRIORITY = {INTERACTIVE: 100, WEBHOOK: 75, SCHEDULED: 50, BACKFILL: 10}


def make_huey() -> Huey:
    settings = load_settings()
    if settings.redis_url:
        return PriorityRedisHuey("fitcoach", url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("fitcoach", filename=str(settings.data_dir / "queue.db"))


huey = make_huey()


@cache
def context() -> SyncContext:
    """The process's sync context, built once from the settings."""
    settings = load_settings()
    configure_worker(settings)  # before the first count: metrics shared with the web
    engine = make_engine(settings.database)
    return SyncContext(
        session_factory(engine), key_ring(settings.fernet_keys), strava_client(settings, engine)
    )


def _later(retry_at: datetime | None) -> datetime:
    return retry_at or datetime.now(UTC) + timedelta(minutes=15)


@huey.task(priority=QUEUE_PRIORITY[WEBHOOK], retries=5, retry_delay=30)
def handle_webhook_event(event_id: int) -> None:
    # A new or changed activity only marks its athlete dirty: the next page view makes the
    # one list call (however many events came), or the daily sync a day later.
    process_event(context(), event_id)


def start_backfill(athlete_id: int) -> None:
    """A new connection: its first page is queued ahead of other backfills (someone waits)."""
    backfill(athlete_id, priority=QUEUE_PRIORITY[INTERACTIVE])


@huey.task(priority=QUEUE_PRIORITY[BACKFILL])
def backfill(athlete_id: int) -> None:
    """One page of history; enqueues the next page while there is more."""
    sync = context()
    try:
        result = backfill_page(sync, athlete_id, BACKFILL)
    except (BudgetExhausted, RateLimited) as refusal:
        backfill.schedule((athlete_id,), eta=_later(refusal.retry_at))
        return
    except AthleteDisconnected:
        return
    except StravaError as error:
        record_failure(sync, athlete_id, error)
        backfill.schedule((athlete_id,), delay=300)
        return
    if result.more:
        backfill(athlete_id)


@huey.task(priority=QUEUE_PRIORITY[SCHEDULED])
def sync_athlete(athlete_id: int, priority: int = SCHEDULED) -> None:
    sync = context()
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
    for athlete_id in due_for_daily_sync(context().sessions, datetime.now(UTC)):
        sync_athlete(athlete_id, SCHEDULED)


def resume_backfills() -> int:
    """Queue the backfill of every connected athlete whose history is not complete.

    The cursor lives in the database, so a backfill whose task died with its worker (a
    kill -9 loses the task it was running) continues where its last page ended.
    """
    with context().sessions() as session:
        query = (
            select(SyncState.athlete_id)
            .join(Athlete, Athlete.id == SyncState.athlete_id)
            .where(Athlete.connected.is_(True), SyncState.backfill_done.is_(False))
        )
        pending = list(session.scalars(query))
    for athlete_id in pending:
        backfill(athlete_id)
    return len(pending)


def requeue_unprocessed_events(received_before: datetime | None = None) -> int:
    """Queue again the events stored but never handled (a worker died mid-way)."""
    with context().sessions() as session:
        pending = unprocessed_event_ids(session, received_before=received_before)
    for event_id in pending:
        handle_webhook_event(event_id)
    return len(pending)


@huey.periodic_task(crontab(minute="*/5"))
def sweep_stale_events() -> None:
    """Events stored ten minutes ago and still unhandled lost their task: queue them again.

    Handling is idempotent, so an event whose task is merely slow is not harmed.
    """
    requeue_unprocessed_events(received_before=datetime.now(UTC) - timedelta(minutes=10))


@huey.task(priority=QUEUE_PRIORITY[INTERACTIVE])
def manual_refresh(athlete_id: int, ask_strava: bool = False) -> dict[str, Any]:
    with sync_kind("manual"):
        return manual_sync(context(), athlete_id, ask_strava)


def enqueue_manual_sync(athlete_id: int, ask_strava: bool) -> str:
    return str(manual_refresh(athlete_id, ask_strava).id)


def manual_sync_status(job: str) -> dict[str, Any]:
    """The job's outcome once a worker ran it; queued until then."""
    try:
        outcome = huey.result(job, preserve=True)
    except TaskException:
        return {"status": "failed", "fetched": 0, "message": "The refresh failed; try again."}
    if outcome is None:
        return {"status": "queued", "fetched": 0, "message": "Waiting for a worker…"}
    return dict(outcome)


@huey.task(priority=QUEUE_PRIORITY[SCHEDULED])
def recompute_loads(athlete_id: int) -> int:
    """After a settings change: every load of the athlete, with the new thresholds."""
    return compute_loads(context().sessions, athlete_id, datetime.now(UTC).date(), False)


# --- The athlete's own files and Strava data retention (docs/files.md) ---


@huey.task(priority=QUEUE_PRIORITY[SCHEDULED])
def import_upload(job_id: int) -> None:
    """Import an uploaded file or archive waiting in DATA_DIR/imports (claimed first, so
    two workers never import one upload)."""
    from fitcoach.files import limits_from
    from fitcoach.files.uploads import run_upload

    settings = load_settings()
    run_upload(context().sessions, settings.data_dir, job_id, limits_from(settings))


@huey.periodic_task(crontab(minute="*/5"))
def resume_imports() -> None:
    """Imports queued while no worker ran, or whose worker died mid-way."""
    from fitcoach.files import pending_jobs

    for job_id in pending_jobs(context().sessions, datetime.now(UTC)):
        import_upload(job_id)


@huey.periodic_task(crontab(minute="7"))
def strava_data_retention() -> None:
    """Hourly: delete Strava API data older than STRAVA_DATA_RETENTION_DAYS, if set."""
    from fitcoach.sync.retention import apply_retention

    days = load_settings().strava_data_retention_days
    if days is not None:
        apply_retention(context().sessions, datetime.now(UTC), days)
