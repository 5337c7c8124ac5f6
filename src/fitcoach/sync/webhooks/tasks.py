"""Push events' queue tasks: handle one, and sweep up those whose task was lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from huey import crontab

from fitcoach.core.tasks import TaskPriority, huey
from fitcoach.sync.context import process_context
from fitcoach.sync.webhooks.repository import unprocessed_event_ids
from fitcoach.sync.webhooks.service import EVENT_RETRIES, EVENT_RETRY_DELAY, process_event

# Stored this long ago and still unhandled: the event's task was lost.
LOST_AFTER = timedelta(minutes=10)


@huey.task(
    priority=TaskPriority.WEBHOOK,
    retries=EVENT_RETRIES,
    retry_delay=int(EVENT_RETRY_DELAY.total_seconds()),
)
def handle_webhook_event(event_id: int) -> None:
    # A new or changed activity only marks its athlete dirty: the next page view makes the
    # one list call (however many events came), or the daily sync a day later.
    process_event(process_context(), event_id)


def requeue_unprocessed_events(received_before: datetime | None = None) -> int:
    """Queue again the events stored but never handled (a worker died mid-way)."""
    with process_context().sessions() as session:
        pending = unprocessed_event_ids(session, received_before=received_before)
    for event_id in pending:
        handle_webhook_event(event_id)
    return len(pending)


@huey.periodic_task(crontab(minute="*/5"))
def sweep_stale_events() -> None:
    """Events stored ten minutes ago and still unhandled lost their task: queue them again.

    Handling is idempotent, so an event whose task is merely slow is not harmed.
    """
    requeue_unprocessed_events(received_before=datetime.now(UTC) - LOST_AFTER)
