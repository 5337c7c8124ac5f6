"""Import jobs: created for an upload or a CLI run, claimed by one worker, resumed when
their worker stopped, failed with a reason the athlete can read."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.clock import utc_now
from fitcoach.core.db import transaction
from fitcoach.core.errors import NotFoundError
from fitcoach.imports.errors import FilesError, UnknownAthlete, problem_record
from fitcoach.models import Activity, Athlete, ImportedFile, ImportJob

log = logging.getLogger("fitcoach.imports")

MAX_PROBLEMS_KEPT = 500
STALLED_AFTER = timedelta(minutes=10)
# Starts of a job by a worker before it fails for good: a fault that repeats is not luck.
MAX_ATTEMPTS = 3
FINISHED = ("done", "failed", "cancelled")


def _stalled(now: datetime) -> Any:
    return (ImportJob.status == "running") & (ImportJob.heartbeat_at < now - STALLED_AFTER)


def create_job(
    sessions: sessionmaker[Session],
    athlete_id: int,
    filename: str,
    stored_path: str | None = None,
    *,
    inbox_sha256: str | None = None,
) -> int:
    """A queued job for this athlete (of an inbox file whose content has this hash, when
    given); UnknownAthlete when fitcoach does not know them."""
    with transaction(sessions) as session:
        if session.get(Athlete, athlete_id) is None:
            raise UnknownAthlete(
                f"athlete {athlete_id}", "not known to fitcoach: log in with Strava once first"
            )
        job = ImportJob(
            athlete_id=athlete_id,
            filename=filename,
            stored_path=stored_path,
            inbox_sha256=inbox_sha256,
        )
        session.add(job)
        session.flush()
        return int(job.id)


def claim_job(sessions: sessionmaker[Session], job_id: int, now: datetime) -> bool:
    """Mark the job running unless another worker runs it (a stalled one may be taken),
    counting the attempt; a job out of attempts is not taken (``give_up_stalled`` ends it)."""
    with transaction(sessions) as session:
        result = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .where((ImportJob.status == "queued") | _stalled(now))
            .where(ImportJob.attempts < MAX_ATTEMPTS)
            .values(status="running", heartbeat_at=now, attempts=ImportJob.attempts + 1)
        )
        return bool(getattr(result, "rowcount", 0))


def pending_jobs(sessions: sessionmaker[Session], now: datetime) -> list[int]:
    """Uploads waiting for a worker, or whose worker stopped beating (a crash, a restart).
    A job with no upload (a CLI run, a file of the inbox) has nothing to resume from."""
    with sessions() as session:
        return list(
            session.scalars(
                select(ImportJob.id).where(
                    (ImportJob.status == "queued") | _stalled(now),
                    ImportJob.attempts < MAX_ATTEMPTS,
                    ImportJob.stored_path.is_not(None),
                )
            )
        )


def give_up_stalled(sessions: sessionmaker[Session], now: datetime) -> list[str]:
    """Fail the jobs whose worker stopped on each of their attempts, or on the one attempt
    of a job with no upload to resume from; the uploads they leave behind (relative to
    DATA_DIR), to be deleted."""
    with transaction(sessions) as session:
        jobs = session.scalars(
            select(ImportJob).where(
                _stalled(now),
                (ImportJob.attempts >= MAX_ATTEMPTS) | ImportJob.stored_path.is_(None),
            )
        ).all()
        uploads = []
        for job in jobs:
            reason = _stopped_reason(job)
            if job.error:
                reason += f"; the last fault: {job.error}"
            _end_failed(job, reason, now)
            if job.stored_path:
                uploads.append(job.stored_path)
            job.stored_path = None
        return uploads


def _stopped_reason(job: ImportJob) -> str:
    times = f"{job.attempts} times " if job.attempts > 1 else ""
    reason = (
        f"the import stopped {times}before it finished (its worker was stopped or ran out "
        "of memory); the activities stored before are kept"
    )
    if job.inbox_sha256 is not None:
        reason += "; the file stays in the inbox and is tried again"
    return reason


def inbox_attempts(
    session: Session, athlete_id: int, filename: str, sha256: str
) -> Sequence[ImportJob]:
    """The attempts at this inbox file (its name and content) that count against it,
    oldest first: those that stopped at a fault, or whose worker stopped."""
    return session.scalars(
        select(ImportJob)
        .where(
            ImportJob.athlete_id == athlete_id,
            ImportJob.filename == filename,
            ImportJob.inbox_sha256 == sha256,
        )
        .order_by(ImportJob.id)
    ).all()


def end_interrupted_attempts(
    sessions: sessionmaker[Session], athlete_id: int, filename: str, sha256: str, now: datetime
) -> None:
    """Fail the attempts at this inbox file still shown as under way: the caller holds the
    file's lock, so no worker is importing it and theirs stopped."""
    with transaction(sessions) as session:
        for job in inbox_attempts(session, athlete_id, filename, sha256):
            if job.status not in FINISHED:
                _end_failed(job, _stopped_reason(job), now)


def release_inbox_file(
    sessions: sessionmaker[Session], athlete_id: int, filename: str, sha256: str
) -> None:
    """The file has left the inbox: its attempts no longer count (the same file put
    there again starts afresh)."""
    with transaction(sessions) as session:
        session.execute(
            update(ImportJob)
            .where(
                ImportJob.athlete_id == athlete_id,
                ImportJob.filename == filename,
                ImportJob.inbox_sha256 == sha256,
            )
            .values(inbox_sha256=None)
        )


def end_uncounted(sessions: sessionmaker[Session], job_id: int, reason: str, now: datetime) -> None:
    """End an inbox attempt stopped by an outage (the database, the disk) as failed with
    ``reason``, counting nothing against its file."""
    with transaction(sessions) as session:
        job = session.get(ImportJob, job_id, with_for_update=True)
        if job is None:
            return
        job.inbox_sha256 = None
        if job.status not in FINISHED:
            _end_failed(job, reason, now)


def retry_or_fail(sessions: sessionmaker[Session], job_id: int, fault: str, now: datetime) -> bool:
    """After an unexpected fault: the job waits for the sweep to try again while it has an
    upload and attempts left, else fails with the fault as its reason. True when it ended."""
    with transaction(sessions) as session:
        job = session.get(ImportJob, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return True
        if job.stored_path and job.attempts < MAX_ATTEMPTS:
            job.status = "queued"
            job.error = fault
            job.heartbeat_at = now
            return False
        tries = f" ({job.attempts} attempts)" if job.attempts > 1 else ""
        _end_failed(job, f"the import stopped at a fault{tries}: {fault}", now)
        return True


def _end_failed(job: ImportJob, reason: str, now: datetime) -> None:
    log.warning("import failed", extra={"job_id": job.id, "reason": reason})
    job.status = "failed"
    job.error = reason
    job.problems = [
        *job.problems,
        {
            "file": job.filename or "upload",
            "kind": "ImportStopped",
            "reason": reason,
            "problem": f"{job.filename or 'upload'}: {reason}",
        },
    ][:MAX_PROBLEMS_KEPT]
    job.finished_at = now


def cancel_job(
    sessions: sessionmaker[Session], athlete_id: int, job_id: int, now: datetime
) -> str | None:
    """End the athlete's unfinished job as cancelled (its worker stops at its next batch;
    what it stored before stays). The upload to delete when no worker holds it, else None.
    NotFoundError for another athlete's job or none."""
    with transaction(sessions) as session:
        job = session.get(ImportJob, job_id, with_for_update=True)
        if job is None or job.athlete_id != athlete_id:
            raise NotFoundError("No such import.")
        if job.status in FINISHED:
            return None
        waiting = job.status == "queued"
        job.status = "cancelled"
        job.error = "cancelled by you"
        job.finished_at = now
        upload = job.stored_path if waiting else None
        if waiting:
            job.stored_path = None
        return upload


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
            problem_record(job.filename or getattr(error, "file", "upload"), error),
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


def get_job(session: Session, job_id: int, *, lock: bool = False) -> ImportJob | None:
    return session.get(ImportJob, job_id, with_for_update=lock)


def recent_jobs(session: Session, athlete_id: int, limit: int) -> Sequence[ImportJob]:
    """The athlete's newest import jobs, newest first."""
    query = (
        select(ImportJob)
        .where(ImportJob.athlete_id == athlete_id)
        .order_by(ImportJob.id.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def imported_file(session: Session, athlete_id: int, sha256: str) -> ImportedFile | None:
    """The ledger's record of this content, if the athlete imported it before."""
    return session.get(ImportedFile, (athlete_id, sha256))


def record_imported_file(
    session: Session, athlete_id: int, sha256: str, activity_id: int, filename: str, source: str
) -> None:
    """The ledger's record of this content (kept as it is when already there)."""
    if session.get(ImportedFile, (athlete_id, sha256)) is not None:
        return
    session.add(
        ImportedFile(
            athlete_id=athlete_id,
            sha256=sha256,
            activity_id=activity_id,
            filename=filename,
            source=source,
        )
    )


def activity_titles(
    session: Session, athlete_id: int, activity_ids: Sequence[int]
) -> list[tuple[int, str, datetime]]:
    """(id, name, local start) of those of the athlete's activities still stored, newest
    first: what a finished import links to."""
    if not activity_ids:
        return []
    rows = session.execute(
        select(
            Activity.id,
            Activity.name,
            func.coalesce(Activity.start_date_local, Activity.start_date),
        )
        .where(Activity.athlete_id == athlete_id, Activity.id.in_(list(activity_ids)))
        .order_by(Activity.start_date.desc())
    )
    return [(int(row[0]), str(row[1] or ""), row[2]) for row in rows]
