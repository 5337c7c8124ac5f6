"""A task queue that runs each task at once, in the calling process: for tools and tests
that run no worker. It does what the worker would, in the same order, through the same
code; only the waiting is gone."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fitcoach.activities.loads import recompute_requested
from fitcoach.core.queue import QueueCounts
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.uploads import athlete_with_new_activities, run_upload
from fitcoach.planning.service import replan_one
from fitcoach.strava.budget import Priority
from fitcoach.sync.activities import backfill_page
from fitcoach.sync.context import SyncContext
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.webhooks.service import process_event


class InlineQueue:
    """Runs queued work in the caller's thread; refresh outcomes are kept for their job."""

    def __init__(self, context: SyncContext, data_dir: Path, limits: Limits) -> None:
        self.context = context
        self.data_dir = data_dir
        self.limits = limits
        self.outcomes: dict[str, dict[str, Any]] = {}

    def start_backfill(self, athlete_id: int) -> None:
        while backfill_page(self.context, athlete_id, Priority.BACKFILL).more:
            pass
        self.replan(athlete_id)

    def handle_webhook_event(self, event_id: int) -> None:
        process_event(self.context, event_id)

    def refresh(self, athlete_id: int, ask_strava: bool) -> str:
        job = uuid.uuid4().hex
        self.outcomes[job] = manual_sync(self.context, athlete_id, ask_strava)
        self.replan(athlete_id)
        return job

    def refresh_status(self, job: str) -> dict[str, Any]:
        return self.outcomes.get(job, {"status": "unknown"})

    def recompute_loads(self, athlete_id: int) -> None:
        recompute_requested(self.context.sessions, athlete_id, self.context.clock)
        self.replan(athlete_id)

    def import_upload(self, job_id: int) -> None:
        run_upload(self.context.sessions, self.data_dir, job_id, self.limits)
        athlete_id = athlete_with_new_activities(self.context.sessions, job_id)
        if athlete_id is not None:
            self.replan(athlete_id)

    def replan(self, athlete_id: int) -> None:
        """As the worker queues after a sync or an import (``worker.replan_after``)."""
        replan_one(self.context.sessions, athlete_id, self.context.clock())

    def counts(self) -> QueueCounts | None:
        return None
