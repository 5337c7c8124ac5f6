"""Push events' queue tasks: handle one, sweep up those whose task was lost, and prune
handled ones."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from huey import crontab

from fitcoach.core.db import transaction
from fitcoach.core.tasks import TaskPriority, huey
from fitcoach.sync.context import process_context
from fitcoach.sync.webhooks.repository import prune_processed, unprocessed_event_ids
from fitcoach.sync.webhooks.service import handle_event

log = logging.getLogger("fitcoach.sync.webhooks")

# Stored this long ago and still unhandled (and not deferred to later): the event's task
# was lost.
LOST_AFTER = timedelta(minutes=10)
# Handled events are kept this long (for the delete checks of late pages), then pruned.
KEEP_HANDLED = timedelta(days=30)


@huey.task(priority=TaskPriority.WEBHOOK)
def handle_webhook_event(event_id: int, attempt: int = 0) -> None:
    # A new or changed activity only marks its athlete dirty: the next page view makes the
    # one list call (however many events came), or the daily sync a day later. When to
    # try again, if the handling failed or the budget deferred it, is the service's word.
    step = handle_event(process_context(), event_id, attempt)
    if step.at is None:
        return
    if step.at > datetime.now(UTC):
        handle_webhook_event.schedule((event_id, step.attempt), eta=step.at)
    else:
        handle_webhook_event(event_id, step.attempt)


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


@huey.periodic_task(crontab(minute="23", hour="3"))
def prune_handled_events() -> None:
    """Daily: events handled more than 30 days ago go (the table would only grow)."""
    with transaction(process_context().sessions) as session:
        pruned = prune_processed(session, datetime.now(UTC) - KEEP_HANDLED)
    log.info("handled webhook events pruned", extra={"events": pruned})
