"""Strava push events: stored durably before the acknowledgement, handled by a worker.

An event is a hint, never data (webhooks are unsigned): a create or update only marks the
athlete dirty; a delete removes the activity once Strava confirms it is gone, and a
deauthorization deletes the athlete once Strava confirms fitcoach's access is revoked (one
call each), so that a forged event can delete nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from fitcoach.core.db import transaction
from fitcoach.core.metrics import webhook_failures, webhook_processed
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import Unauthorized
from fitcoach.strava.repository import athlete_of_strava
from fitcoach.sync.activities import delete_if_gone, mark_dirty, needs_refetch, refetch_activity
from fitcoach.sync.connection import forget_strava
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks.repository import get_event, insert_event
from fitcoach.sync.webhooks.schemas import PushEvent

log = logging.getLogger("fitcoach.sync.webhooks")

# A handler that raised is tried this many more times, this long apart (huey's retries).
EVENT_RETRIES = 5
EVENT_RETRY_DELAY = timedelta(seconds=30)


def dedupe_key(event: PushEvent) -> str:
    """Same event, same key: Strava's retries of one delivery are stored once."""
    canonical = json.dumps(event.model_dump(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_event(session: Session, event: PushEvent, now: datetime) -> int | None:
    """Insert the event unless already stored; returns its id when it is new."""
    return insert_event(
        session,
        {
            "dedupe_key": dedupe_key(event),
            "object_type": event.object_type,
            "object_id": event.object_id,
            "aspect_type": event.aspect_type,
            "owner_id": event.owner_id,
            "subscription_id": event.subscription_id,
            "event_time": datetime.fromtimestamp(event.event_time, UTC),
            "updates": event.updates,
            "received_at": now,
            "attempts": 0,
        },
    )


@webhook_failures
def process_event(context: SyncContext, event_id: int) -> int | None:
    """Handle one stored event; idempotent, so a redelivered task does no harm.

    Returns the athlete now marked dirty, if the event made one so.
    """
    with transaction(context.sessions) as session:
        event = get_event(session, event_id)
        if event is None or event.processed_at is not None:
            return None
        event.attempts += 1
        kind = (event.object_type, event.aspect_type)
        object_id, updates = event.object_id, dict(event.updates)
        event_time = event.event_time
        # Events name the Strava athlete; fitcoach's account is the one connected to them.
        owner = athlete_of_strava(session, event.owner_id)
    dirty: int | None = None
    if owner is None:
        log.info(
            "event for a Strava athlete no account is connected to", extra={"event_id": event_id}
        )
    elif kind == ("athlete", "update") and str(updates.get("authorized")).lower() == "false":
        if access_revoked(context, owner):
            forget_strava(
                context.sessions, owner, context.clock().date(), reason="deauthorized on Strava"
            )
        else:
            log.warning(
                "deauthorization event for an athlete Strava still serves: ignored",
                extra={"athlete_id": owner, "event_id": event_id},
            )
    elif kind == ("activity", "delete"):
        # Only the named owner's, only what came from the API, and only once Strava says
        # it is gone: an event cannot delete someone else's activity, the athlete's own
        # imported file, or anything Strava still has.
        delete_if_gone(context, owner, object_id, Priority.WEBHOOK)
    elif kind == ("activity", "update") and needs_refetch(context, owner, object_id):
        refetch_activity(context, owner, object_id, Priority.WEBHOOK)
    elif kind[0] == "activity":
        mark_dirty(context, owner)
        dirty = owner
    processed_at = context.clock()
    with transaction(context.sessions) as session:
        event = get_event(session, event_id)
        if event is not None:
            event.processed_at = processed_at
    webhook_processed(kind[0], kind[1], event_time, processed_at)
    log.info("webhook event processed", extra={"event_id": event_id, "kind": "/".join(kind)})
    return dirty


def access_revoked(context: SyncContext, athlete_id: int) -> bool:
    """Whether Strava refuses fitcoach for this athlete (one call, or none when fitcoach
    already holds no tokens for them)."""
    try:
        token = context.token(athlete_id)
        # No athlete id: the cached copy of the profile must not answer for Strava.
        context.strava.athlete(token, priority=Priority.WEBHOOK, athlete_id=None)
    except (AthleteDisconnected, Unauthorized):
        return True
    return False
