"""Strava push events: stored durably before the acknowledgement, handled by a worker.

An event is a hint, never data (webhooks are unsigned): a create or update only marks the
athlete dirty; a delete removes the activity once Strava confirms it is gone, and a
deauthorization deletes the athlete once Strava confirms fitcoach's access is revoked (one
call each), so that a forged event can delete nothing.

A forged deauthorization costs at most one call per athlete per budget window: a new
one joins the athlete's pending one instead of being stored, and a check comes at least
``DEAUTHORIZATION_CHECK_EVERY`` after the last (the event waits, still pending, for the
sweep that queues it again).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from fitcoach.core.db import transaction
from fitcoach.core.metrics import webhook_failures, webhook_processed
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited, Unauthorized
from fitcoach.strava.repository import athlete_of_strava
from fitcoach.sync.activities import delete_if_gone, mark_dirty, needs_refetch, refetch_activity
from fitcoach.sync.connection import forget_strava
from fitcoach.sync.context import SyncContext
from fitcoach.sync.retries import STRAVA_DELAY, Failure, Next, classify, reason, retry_delay
from fitcoach.sync.webhooks.repository import (
    claim_deauthorizations,
    event_due,
    event_failed,
    get_event,
    insert_event,
    last_deauthorization_check,
    pending_deauthorization,
    release_events,
)
from fitcoach.sync.webhooks.schemas import PushEvent, is_revoked

log = logging.getLogger("fitcoach.sync.webhooks")

# An event whose check failed on Strava's side is tried this many more times, this long
# apart, then recorded as failed; the database's failures are retried until it is back.
EVENT_RETRIES = 5
EVENT_RETRY_DELAY = STRAVA_DELAY
# A refusal that names no time is tried again after this long.
DEFERRED_BY_DEFAULT = timedelta(minutes=15)
# One budget window: at most one deauthorization check per athlete in each.
DEAUTHORIZATION_CHECK_EVERY = timedelta(minutes=15)


class Outcome(StrEnum):
    """What became of an event that reached the endpoint (the metrics' ``outcome``)."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # the same event is stored already (Strava's retry)
    JOINED = "joined"  # a deauthorization while one for the athlete waits for its check
    IGNORED = "ignored"  # an athlete event other than a deauthorization: nothing to do


@dataclass(frozen=True)
class Received:
    outcome: Outcome
    event_id: int | None = None


def dedupe_key(event: PushEvent) -> str:
    """Same event, same key: Strava's retries of one delivery are stored once."""
    canonical = json.dumps(event.model_dump(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def receive_event(session: Session, event: PushEvent, now: datetime) -> Received:
    """Store the event for a worker unless it is stored already or adds nothing."""
    if event.object_type == "athlete" and not event.is_deauthorization:
        return Received(Outcome.IGNORED)
    if event.is_deauthorization and pending_deauthorization(session, event.owner_id) is not None:
        return Received(Outcome.JOINED)
    event_id = store_event(session, event, now)
    return Received(Outcome.DUPLICATE if event_id is None else Outcome.STORED, event_id)


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


def handle_event(context: SyncContext, event_id: int, attempt: int) -> Next:
    """Handle a stored event and say when to try it again, if ever, by the error's type.

    A budget refusal is no failure: the event waits for the window's reset (kept on the
    event, so the sweep leaves it alone till then). The database's failures are retried
    5 s, doubling, to 5 minutes apart; Strava's 5 minutes apart, ``EVENT_RETRIES`` times;
    anything else, and Strava's last failure, are recorded on the event (its
    ``last_error``, the log) and the event is closed: never retried blindly.
    """
    now = context.clock()
    try:
        process_event(context, event_id)
    except (BudgetExhausted, RateLimited) as refusal:
        at = refusal.retry_at or now + DEFERRED_BY_DEFAULT
        log.info(
            "webhook event deferred by the budget until %s",
            at.isoformat(),
            extra={"event_id": event_id},
        )
        return _note_due(context, event_id, at, 0)
    except Exception as error:
        failure = classify(error)
        attempt += 1
        if failure is Failure.DATABASE or (failure is Failure.STRAVA and attempt <= EVENT_RETRIES):
            log.warning(
                "webhook event failed; tried again later",
                extra={"event_id": event_id, "error": reason(error), "attempt": attempt},
            )
            return _note_due(context, event_id, now + retry_delay(failure, attempt), attempt)
        log.error(
            "webhook event failed for good",
            extra={"event_id": event_id, "error": reason(error), "kind": type(error).__name__},
        )
        with transaction(context.sessions) as session:
            event_failed(session, event_id, reason(error), now)
    return Next(None)


def _note_due(context: SyncContext, event_id: int, at: datetime, attempt: int) -> Next:
    # Best effort: when the database is what failed, the task's own retry carries on.
    try:
        with transaction(context.sessions) as session:
            event_due(session, event_id, at)
    except Exception as error:
        if classify(error) is not Failure.DATABASE:
            raise
    return Next(at, attempt)


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
        strava_owner = event.owner_id
        owner = athlete_of_strava(session, strava_owner)
    dirty: int | None = None
    if owner is None:
        # Nobody's account holds this Strava athlete (never connected, or forgotten
        # already): nothing of theirs to touch.
        log.info(
            "event for a Strava athlete no account is connected to", extra={"event_id": event_id}
        )
        if kind[0] == "athlete":
            with transaction(context.sessions) as session:
                claim_deauthorizations(session, strava_owner, context.clock())
            return None
    elif kind == ("athlete", "update") and is_revoked(updates.get("authorized")):
        if check_deauthorization(context, event_id, owner, strava_owner):
            webhook_processed(kind[0], kind[1], event_time, context.clock())
        return None
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


def check_deauthorization(
    context: SyncContext, event_id: int, athlete_id: int, strava_athlete_id: int
) -> bool:
    """Forget the account's Strava data if Strava confirms the revocation; whether the
    event is handled.

    One check answers every deauthorization of the athlete pending when it starts (it
    claims them); none starts within ``DEAUTHORIZATION_CHECK_EVERY`` of the last, so the
    event stays pending until the sweep queues it again. Costs nothing when fitcoach
    holds no tokens for the athlete: nobody can ask Strava, so Strava's word stands for
    what came from Strava, and only that (forgetting never touches the account's own
    files, settings or plans).
    """
    now = context.clock()
    try:
        token = context.token(athlete_id)
    except AthleteDisconnected:
        forget_strava(context.sessions, athlete_id, now.date(), reason="deauthorized on Strava")
        with transaction(context.sessions) as session:
            claim_deauthorizations(session, strava_athlete_id, now)
        return True
    with context.sessions() as session:
        last = last_deauthorization_check(session, strava_athlete_id)
    if last is not None and now - last < DEAUTHORIZATION_CHECK_EVERY:
        log.info(
            "deauthorization check deferred: one was made at %s",
            last.isoformat(),
            extra={"athlete_id": athlete_id, "event_id": event_id},
        )
        return False
    with transaction(context.sessions) as session:
        claimed = claim_deauthorizations(session, strava_athlete_id, now)
    if event_id not in claimed:
        return False  # another worker's check took it up
    try:
        revoked = access_revoked(context, token, athlete_id)
    except BaseException:
        with transaction(context.sessions) as session:
            release_events(session, claimed)
        raise
    if revoked:
        forget_strava(context.sessions, athlete_id, now.date(), reason="deauthorized on Strava")
    else:
        log.warning(
            "deauthorization event for an athlete Strava still serves: ignored",
            extra={"athlete_id": athlete_id, "event_id": event_id, "events": len(claimed)},
        )
    return True


def access_revoked(context: SyncContext, token: str, athlete_id: int) -> bool:
    """Whether Strava refuses fitcoach's token for this athlete: one call, counted against
    the athlete's own quota, never answered from the cache."""
    try:
        context.strava.athlete(token, priority=Priority.WEBHOOK, athlete_id=athlete_id, fresh=True)
    except Unauthorized:
        return True
    return False
