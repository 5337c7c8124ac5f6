"""Import jobs: created for an upload or a CLI run, claimed by one worker, resumed when
their worker stopped, failed with a reason the athlete can read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.files.errors import FilesError, UnknownAthlete
from fitcoach.store.engine import transaction
from fitcoach.store.models import Athlete, ImportJob, SyncState
from fitcoach.sync.context import utc_now

log = logging.getLogger("fitcoach.files")

MAX_PROBLEMS_KEPT = 500
STALLED_AFTER = timedelta(minutes=10)


def create_job(
    sessions: sessionmaker[Session], athlete_id: int, filename: str, stored_path: str | None = None
) -> int:
    """A queued job for this athlete; UnknownAthlete when fitcoach does not know them."""
    with transaction(sessions) as session:
        if session.get(Athlete, athlete_id) is None:
            raise UnknownAthlete(
                f"athlete {athlete_id} is not known to fitcoach: log in with Strava once first"
            )
        job = ImportJob(athlete_id=athlete_id, filename=filename, stored_path=stored_path)
        session.add(job)
        session.flush()
        return int(job.id)


def claim_job(sessions: sessionmaker[Session], job_id: int, now: datetime) -> bool:
    """Mark the job running unless another worker runs it (a stalled one may be taken)."""
    with transaction(sessions) as session:
        result = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .where(
                (ImportJob.status == "queued")
                | ((ImportJob.status == "running") & (ImportJob.heartbeat_at < now - STALLED_AFTER))
            )
            .values(status="running", heartbeat_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


def pending_jobs(sessions: sessionmaker[Session], now: datetime) -> list[int]:
    """Jobs waiting for a worker, or whose worker stopped beating (a crash, a restart)."""
    with sessions() as session:
        return list(
            session.scalars(
                select(ImportJob.id).where(
                    (ImportJob.status == "queued")
                    | (
                        (ImportJob.status == "running")
                        & (ImportJob.heartbeat_at < now - STALLED_AFTER)
                    )
                )
            )
        )


def fail_job(
    sessions: sessionmaker[Session],
    job_id: int,
    error: FilesError,
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """End the job as failed, with the reason shown to the athlete."""
    log.info("import refused", extra={"job_id": job_id, "error": str(error)})
    with transaction(sessions) as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.status = "failed"
        job.error = str(error)
        job.failed = max(job.failed, 1)
        job.problems = [
            *job.problems,
            {"file": job.filename, "kind": type(error).__name__, "problem": str(error)},
        ][:MAX_PROBLEMS_KEPT]
        job.finished_at = clock()
        job.stored_path = None


def archive_covers_up_to(session: Session, athlete_id: int) -> datetime | None:
    """The newest activity start held by an imported Strava archive of this athlete:
    backfill needs to ask the API only for activities after it."""
    return session.scalar(
        select(func.max(ImportJob.covers_up_to)).where(
            ImportJob.athlete_id == athlete_id, ImportJob.status == "done"
        )
    )


def respect_archive(session: Session, athlete_id: int, covers_up_to: datetime) -> None:
    """Spare the API what an imported archive holds.

    Before the backfill has started, the archive stands in for it: backfill is done, and
    the incremental sync (``after=`` the newest start held) asks only for activities
    since the export, paging up in one list call per 200. A backfill that has already
    reached the archive's newest activity stops there. (A backfill still above it goes
    on; what it brings that the archive holds is merged, not doubled.)
    """
    state = session.get(SyncState, athlete_id)
    if state is None:
        state = SyncState(athlete_id=athlete_id)
        session.add(state)
    if state.backfill_done:
        return
    if state.backfill_cursor is None and state.newest_activity_at is None:
        state.backfill_done = True
        state.newest_activity_at = covers_up_to
    elif state.backfill_cursor is not None and state.backfill_cursor <= covers_up_to:
        state.backfill_done = True
