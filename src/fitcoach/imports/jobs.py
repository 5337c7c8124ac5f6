"""Import jobs as the import page and the JSON API show them, for their athlete only."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.errors import NotFoundError
from fitcoach.imports import repository
from fitcoach.imports.uploads import discard_upload
from fitcoach.models import ImportJob

# Links a finished import shows on the page; the rest are in the activity list.
LINKS_SHOWN = 10


def seconds_left(job: ImportJob) -> float | None:
    """The time a running import still needs at its pace so far (from the job's creation
    to its last heartbeat); None before the first files are read or once it is over."""
    if job.status != "running" or not job.done or job.total <= job.done:
        return None
    if job.heartbeat_at is None or job.created_at is None:
        return None
    spent = (job.heartbeat_at - job.created_at).total_seconds()
    return max(0.0, spent) / job.done * (job.total - job.done)


def job_view(session: Session, job: ImportJob) -> dict[str, Any]:
    """The job as the page and the JSON API show it, with the activities it stored."""
    ids = [int(i) for i in job.activity_ids or []]
    titles = repository.activity_titles(session, job.athlete_id, ids[:LINKS_SHOWN])
    return {
        "activity_ids": ids,
        "activities": [
            {"id": i, "name": name, "start": start.isoformat()} for i, name, start in titles
        ],
        "id": job.id,
        "filename": job.filename,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "imported": job.imported,
        "merged": job.merged,
        "duplicates": job.duplicates,
        "failed": job.failed,
        "problems": job.problems,
        "error": job.error,
        "covers_up_to": job.covers_up_to.isoformat() if job.covers_up_to else None,
        "finished": job.status in repository.FINISHED,
        "seconds_left": seconds_left(job),
    }


def recent_job_views(
    sessions: sessionmaker[Session], athlete_id: int, limit: int
) -> list[dict[str, Any]]:
    """The athlete's newest jobs, newest first."""
    with sessions() as session:
        return [
            job_view(session, job) for job in repository.recent_jobs(session, athlete_id, limit)
        ]


def owned_job_view(sessions: sessionmaker[Session], athlete_id: int, job_id: int) -> dict[str, Any]:
    """One job of the athlete's; NotFoundError for anyone else's (or none)."""
    with sessions() as session:
        job = repository.get_job(session, job_id)
        if job is None or job.athlete_id != athlete_id:
            raise NotFoundError("No such import.")
        return job_view(session, job)


def queue_upload(
    sessions: sessionmaker[Session], athlete_id: int, filename: str, stored_path: str
) -> int:
    """A job for an upload waiting in DATA_DIR/imports; its id."""
    return repository.create_job(sessions, athlete_id, filename, stored_path)


def cancel_import(
    sessions: sessionmaker[Session], data_dir: Path, athlete_id: int, job_id: int, now: datetime
) -> None:
    """The athlete's Cancel: a waiting import never starts (its upload is deleted now), a
    running one stops at its next batch (its worker deletes the upload); a finished one is
    left as it is. NotFoundError for another athlete's import."""
    upload = repository.cancel_job(sessions, athlete_id, job_id, now)
    if upload is not None:
        discard_upload(data_dir, upload)
