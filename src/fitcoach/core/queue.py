"""What the web app asks of the task queue, as a type: the huey queue in the worker
(``fitcoach.worker.HueyQueue``) and the in-process queue for tools and tests
(``fitcoach.inline_queue.InlineQueue``) both provide it, and handlers receive it through
``fitcoach.web.deps.Queue``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class QueueCounts:
    """How much work waits: tasks ready to run, and tasks scheduled for later."""

    pending: int
    scheduled: int


class TaskQueue(Protocol):
    def start_backfill(self, athlete_id: int) -> None:
        """A new connection: fetch the athlete's history, newest page first."""

    def handle_webhook_event(self, event_id: int) -> None:
        """A stored push event to handle."""

    def refresh(self, athlete_id: int, ask_strava: bool) -> str:
        """A manual refresh; returns the job id its progress is read by."""

    def refresh_status(self, job: str) -> dict[str, Any]:
        """How a manual refresh went (``status``, ``fetched``, ``message``)."""

    def recompute_loads(self, athlete_id: int) -> None:
        """The loads the athlete's thresholds change affects (its recorded request says from
        which day), with progress recorded as it goes."""

    def import_upload(self, job_id: int) -> None:
        """An uploaded file or archive waiting in DATA_DIR/imports."""

    def replan(self, athlete_id: int) -> None:
        """Activities arrived outside the queue (a page view's sync): re-plan the
        athlete's plan, as the queue does after its own syncs and imports."""

    def counts(self) -> QueueCounts | None:
        """The queue's depth, for /metrics and the admin page; None when it has none."""
