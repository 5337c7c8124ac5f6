"""Imports' queue tasks: an uploaded file or archive, and imports whose worker stopped."""

from __future__ import annotations

from datetime import UTC, datetime

from huey import crontab

from fitcoach.core.settings import load_settings
from fitcoach.core.tasks import TaskPriority, huey
from fitcoach.imports import inbox
from fitcoach.imports.parsing.limits import limits_from
from fitcoach.imports.pool import processes_for
from fitcoach.imports.repository import give_up_stalled, pending_jobs
from fitcoach.imports.uploads import discard_upload, run_upload
from fitcoach.sync.context import process_context


@huey.task(priority=TaskPriority.SCHEDULED)
def import_upload(job_id: int) -> None:
    """Import an uploaded file or archive waiting in DATA_DIR/imports (claimed first, so
    two workers never import one upload)."""
    settings = load_settings()
    run_upload(
        process_context().sessions,
        settings.data_dir,
        job_id,
        limits_from(settings),
        processes_for(settings.import_processes),
    )


@huey.periodic_task(crontab(minute="*/5"))
def resume_imports() -> None:
    """Imports queued while no worker ran, or whose worker died mid-way; those whose worker
    died on every attempt are failed (so that every import ends)."""
    sessions, now = process_context().sessions, datetime.now(UTC)
    for stored in give_up_stalled(sessions, now):
        discard_upload(load_settings().data_dir, stored)
    for job_id in pending_jobs(sessions, now):
        import_upload(job_id)


@huey.periodic_task(crontab(minute="*"), priority=TaskPriority.SCHEDULED)
def scan_inbox() -> list[int]:
    """Import the files waiting in the athletes' inboxes (IMPORT_INBOX_DIR); the athletes
    it added activities to (the worker re-plans each once). The consumer also runs its
    periodic tasks as it starts, so a worker's first scan needs no wait."""
    settings = load_settings()
    results = inbox.scan(
        process_context().sessions,
        settings.inbox_dir,
        limits_from(settings),
        processes=processes_for(settings.import_processes),
    )
    return inbox.athletes_with_new_activities(results)
