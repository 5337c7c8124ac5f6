"""The task queue's worker: every domain's tasks registered on the one huey queue
(``fitcoach.core.tasks``), and ``HueyQueue``, the web app's way to hand work to it.

Importing this module opens the queue (SQLite in the embedded mode, Redis in production).
"""

from __future__ import annotations

from typing import Any

from huey.exceptions import TaskException

from fitcoach.core.queue import QueueCounts
from fitcoach.core.tasks import huey
from fitcoach.imports import tasks as import_tasks
from fitcoach.planning import tasks as planning_tasks
from fitcoach.sync import tasks as sync_tasks
from fitcoach.sync.webhooks import tasks as webhook_tasks

__all__ = ["HueyQueue", "huey", "planning_tasks", "resume_lost_work"]


class HueyQueue:
    """The web app's task queue: each call enqueues a task for a worker process."""

    def start_backfill(self, athlete_id: int) -> None:
        sync_tasks.start_backfill(athlete_id)

    def handle_webhook_event(self, event_id: int) -> None:
        webhook_tasks.handle_webhook_event(event_id)

    def refresh(self, athlete_id: int, ask_strava: bool) -> str:
        return str(sync_tasks.manual_refresh(athlete_id, ask_strava).id)

    def refresh_status(self, job: str) -> dict[str, Any]:
        """The job's outcome once a worker ran it; queued until then."""
        try:
            outcome = huey.result(job, preserve=True)
        except TaskException:
            return {"status": "failed", "fetched": 0, "message": "The refresh failed; try again."}
        if outcome is None:
            return {"status": "queued", "fetched": 0, "message": "Waiting for a worker…"}
        return dict(outcome)

    def recompute_loads(self, athlete_id: int) -> None:
        sync_tasks.recompute_loads(athlete_id)

    def import_upload(self, job_id: int) -> None:
        import_tasks.import_upload(job_id)

    def counts(self) -> QueueCounts:
        return QueueCounts(pending=huey.pending_count(), scheduled=huey.scheduled_count())


def resume_lost_work() -> None:
    """What a killed worker lost: stored events never handled, backfills not finished."""
    webhook_tasks.requeue_unprocessed_events()
    sync_tasks.resume_backfills()
