"""The task queue's worker: every domain's tasks registered on the one huey queue
(``fitcoach.core.tasks``), and ``HueyQueue``, the web app's way to hand work to it.

Importing this module opens the queue (SQLite in the embedded mode, Redis in production).
"""

from __future__ import annotations

from typing import Any

from huey.api import Task
from huey.exceptions import TaskException

from fitcoach.core.queue import QueueCounts
from fitcoach.core.tasks import huey
from fitcoach.imports import tasks as import_tasks
from fitcoach.imports.uploads import athlete_with_new_activities
from fitcoach.planning import tasks as planning_tasks
from fitcoach.sync import tasks as sync_tasks
from fitcoach.sync.context import process_context
from fitcoach.sync.webhooks import tasks as webhook_tasks

__all__ = ["HueyQueue", "huey", "planning_tasks", "replan_after", "resume_lost_work"]

# The tasks after which an athlete may hold activities (or loads) their plan has not seen;
# each has the athlete's id as its first argument.
ATHLETE_TASKS = (
    sync_tasks.backfill,
    sync_tasks.sync_athlete,
    sync_tasks.manual_refresh,
    sync_tasks.recompute_loads,
)


def athletes_to_replan(task: Any, value: Any) -> list[int]:
    """The athletes whose plan a finished task may have changed the facts of: a sync's,
    an upload's that added activities, those an inbox scan added activities to (its
    value); none for any other task."""
    args: tuple[Any, ...] = task.args
    if isinstance(task, import_tasks.import_upload.task_class):
        athlete_id = athlete_with_new_activities(process_context().sessions, int(args[0]))
        return [] if athlete_id is None else [athlete_id]
    if isinstance(task, import_tasks.scan_inbox.task_class):
        return [int(athlete_id) for athlete_id in value or ()]
    if isinstance(task, tuple(t.task_class for t in ATHLETE_TASKS)):
        return [int(args[0])]
    return []


@huey.post_execute()  # type: ignore[untyped-decorator]
def replan_after(task: Task, value: Any, error: BaseException | None) -> None:
    """A sync or an import finished: queue the athlete's re-plan now, rather than leave it
    to their next view or the hourly check. The planning domain knows neither sync nor
    imports (the import contracts); the worker, above all three, joins them. A hook
    after the task rather than a signal: the scan's value names its athletes."""
    if error is not None:
        return
    for athlete_id in athletes_to_replan(task, value):
        planning_tasks.replan_athlete(athlete_id)


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

    def replan(self, athlete_id: int) -> None:
        planning_tasks.replan_athlete(athlete_id)

    def counts(self) -> QueueCounts:
        return QueueCounts(pending=huey.pending_count(), scheduled=huey.scheduled_count())


def resume_lost_work() -> None:
    """What a killed worker lost: stored events never handled, backfills not finished."""
    webhook_tasks.requeue_unprocessed_events()
    sync_tasks.resume_backfills()
