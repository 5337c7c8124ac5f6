"""Pulling activities from Strava into the store: backfill pages and incremental syncs.

Every call passes the budget through the Strava client; every write is an idempotent
upsert keyed by Strava id, so a retried or overlapping sync never duplicates a row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fitcoach.activities import repository as activities
from fitcoach.activities.loads import compute_loads
from fitcoach.activities.merge import store_api_rows
from fitcoach.activities.rows import BadActivityDocument, clean_text, row_from_strava
from fitcoach.core.db import transaction
from fitcoach.models import Source
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.client import MAX_PER_PAGE
from fitcoach.strava.errors import NotFound
from fitcoach.strava.models import SummaryActivity
from fitcoach.sync import repository
from fitcoach.sync.context import SyncContext
from fitcoach.sync.instrumentation import sync_run
from fitcoach.sync.retries import STRAVA_DELAY, Failure, classify, reason
from fitcoach.sync.webhooks.repository import handled_deletes

log = logging.getLogger("fitcoach.sync")

# Re-reading the last hour costs nothing extra (same single page) and catches uploads
# whose start time is earlier than the newest activity already held (late device syncs).
SAFETY_MARGIN = timedelta(hours=1)
MAX_INCREMENTAL_PAGES = 10
# A backfill page that failed on Strava's side (not the budget) is tried again after this.
BACKFILL_RETRY_AFTER = STRAVA_DELAY


@dataclass(frozen=True)
class SyncResult:
    fetched: int
    calls: int
    more: bool = False


def store_fetched(context: SyncContext, athlete_id: int, fetched: list[SummaryActivity]) -> None:
    """Store activities just fetched from Strava and recompute the athlete's loads.

    A bad row never costs its page: an activity whose document no column can hold, or
    that the database refuses, is skipped and recorded (``skipped_activities``, shown to
    the athlete and on /admin) and the others are stored. A database that is unavailable
    is not a bad row: that error goes up, for the task to try the page again.
    """
    rows: list[dict[str, Any]] = []
    for activity in fetched:
        try:
            rows.append(row_from_strava(activity.raw, athlete_id))
        except BadActivityDocument as error:
            skip(context, athlete_id, activity, str(error))
    try:
        deleted_meanwhile = _store_rows(context, athlete_id, rows)
    except Exception as error:
        if classify(error) is not Failure.PERMANENT:
            raise
        # One row spoilt the batch: store them one by one to find it.
        deleted_meanwhile = []
        for row in rows:
            try:
                deleted_meanwhile += _store_rows(context, athlete_id, [row])
            except Exception as row_error:
                if classify(row_error) is not Failure.PERMANENT:
                    raise
                skip(context, athlete_id, fetched_of(fetched, row), reason(row_error))
    # A page listed just before Strava deleted one of its activities arrives after the
    # delete event was handled (nothing was held then): check those again now.
    for strava_id in deleted_meanwhile:
        delete_if_gone(context, athlete_id, strava_id, Priority.WEBHOOK)
    if rows:
        compute_loads(context.sessions, athlete_id, context.clock().date())


def _store_rows(context: SyncContext, athlete_id: int, rows: list[dict[str, Any]]) -> list[int]:
    """Store the rows in one transaction; the Strava ids a handled delete event named."""
    with transaction(context.sessions) as session:
        # Not a plain upsert: an activity the athlete imported from their own files is
        # linked to its Strava id, never overwritten or doubled.
        store_api_rows(session, athlete_id, rows)
        listed = [int(row["strava_id"]) for row in rows]
        repository.forget_skipped(session, athlete_id, listed)
        strava = repository.strava_athlete_of(session, athlete_id)
        return handled_deletes(session, strava, listed) if strava else []


def fetched_of(fetched: list[SummaryActivity], row: dict[str, Any]) -> SummaryActivity:
    """The fetched activity a row was made from."""
    return next(activity for activity in fetched if activity.id == row["strava_id"])


def skip(context: SyncContext, athlete_id: int, activity: SummaryActivity, why: str) -> None:
    """Record that this activity could not be stored, and why."""
    name = clean_text(str(activity.raw.get("name") or ""))[:200]
    with transaction(context.sessions) as session:
        repository.record_skipped(session, athlete_id, activity.id, name, why, context.clock())
    log.warning(
        "activity from Strava not stored",
        extra={"athlete_id": athlete_id, "strava_id": activity.id, "reason": why},
    )


@sync_run("backfill")
def backfill_page(context: SyncContext, athlete_id: int, priority: int) -> SyncResult:
    """Fetch the next older page of the athlete's history, resuming from the cursor.

    The first page is the newest, so the dashboard has something at once: it goes at
    interactive priority, since the person who just connected is looking at an empty
    page; older pages go at ``priority``. The cursor (the oldest start time stored so
    far) makes every later page resumable after a crash.
    """
    with context.sessions() as session:
        state = repository.get_sync_state(session, athlete_id)
        if state is None or state.backfill_done:
            return SyncResult(0, 0)
        cursor = state.backfill_cursor
    if cursor is None:
        priority = max(priority, Priority.INTERACTIVE)
    token = context.token(athlete_id)
    page = context.strava.activities(
        token, priority=priority, athlete_id=athlete_id, before=cursor, per_page=MAX_PER_PAGE
    )
    store_fetched(context, athlete_id, page)
    now = context.clock()
    with transaction(context.sessions) as session:
        # Two backfill chains for one athlete (a re-queue after a crash): only the one that
        # claims the cursor advances it and goes on; the other stops.
        if not repository.claim_backfill_cursor(session, athlete_id, cursor):
            return SyncResult(len(page), 1, more=False)
        state = repository.sync_state_for_update(session, athlete_id)
        if page:
            oldest = min(activity.start_date for activity in page)
            newest = max(activity.start_date for activity in page)
            state.backfill_cursor = oldest
            state.backfill_fetched += len(page)
            if state.newest_activity_at is None or newest > state.newest_activity_at:
                state.newest_activity_at = newest
        if state.last_sync_at is None:
            state.last_sync_at = now
        if cursor is None:
            state.backfill_started_at = now
        state.backfill_done = len(page) < MAX_PER_PAGE
        more = not state.backfill_done
        # The next page is due at once; the periodic resume watches that it comes.
        state.backfill_next_at = now if more else None
        state.consecutive_failures = 0
        state.last_error = None
    return SyncResult(len(page), 1, more)


@sync_run()  # kind: daily, webhook, manual or incremental (page view)
def incremental_sync(context: SyncContext, athlete_id: int, priority: int) -> SyncResult:
    """One list call with ``after=`` the newest start held, paging only while pages are full."""
    with context.sessions() as session:
        state = repository.get_sync_state(session, athlete_id)
        newest = state.newest_activity_at if state else None
    after = newest - SAFETY_MARGIN if newest else None
    token = context.token(athlete_id)
    fetched = calls = 0
    started = context.clock()
    newest_seen: datetime | None = newest
    for page_number in range(1, MAX_INCREMENTAL_PAGES + 1):
        page = context.strava.activities(
            token,
            priority=priority,
            athlete_id=athlete_id,
            after=after,
            page=page_number,
            per_page=MAX_PER_PAGE,
        )
        calls += 1
        store_fetched(context, athlete_id, page)
        fetched += len(page)
        for activity in page:
            if newest_seen is None or activity.start_date > newest_seen:
                newest_seen = activity.start_date
        if len(page) < MAX_PER_PAGE:
            break
    with transaction(context.sessions) as session:
        state = repository.sync_state_for_update(session, athlete_id)
        state.newest_activity_at = newest_seen
        state.last_sync_at = started
        # Only events that arrived before this sync began are answered by it.
        if state.dirty_since is None or state.dirty_since <= started:
            state.dirty = False
            state.dirty_since = None
        state.consecutive_failures = 0
        state.last_error = None
    return SyncResult(fetched, calls)


def record_failure(context: SyncContext, athlete_id: int, error: BaseException) -> None:
    """Count the failure on the athlete's sync state with its reason in words (shown on
    the dashboard and /admin). When the database itself is what failed, this may fail
    too: then the log line is the record, and the retry goes on regardless."""
    why = reason(error)
    log.warning(
        "sync failed",
        extra={"athlete_id": athlete_id, "error": why, "kind": type(error).__name__},
    )
    try:
        with transaction(context.sessions) as session:
            state = repository.get_sync_state(session, athlete_id)
            if state is None:
                return
            state.consecutive_failures += 1
            state.last_error = why
            state.last_error_at = context.clock()
    except Exception as unrecorded:
        if classify(unrecorded) is not Failure.DATABASE:
            raise
        log.warning("sync failure not recorded: the database is unavailable")


def mark_dirty(context: SyncContext, athlete_id: int) -> None:
    """Note that Strava has news for this athlete; it costs nothing until it is needed.

    ``dirty_since`` moves to the latest news, so a sync that began before it does not
    clear the flag (see ``incremental_sync``).
    """
    with transaction(context.sessions) as session:
        state = repository.get_sync_state(session, athlete_id)
        if state is not None:
            state.dirty = True
            state.dirty_since = context.clock()


def needs_refetch(context: SyncContext, athlete_id: int, strava_id: int) -> bool:
    """Whether an update to this activity would be missed by the next incremental sync.

    Incremental syncs re-read only the last hour before the newest start held, so an edit
    to an older activity must fetch that activity by itself.
    """
    with context.sessions() as session:
        activity = activities.by_strava_id(session, athlete_id, strava_id)
        state = repository.get_sync_state(session, athlete_id)
        if activity is None or state is None:
            return False
        newest = state.newest_activity_at
        return newest is not None and activity.start_date < newest - SAFETY_MARGIN


def refetch_activity(context: SyncContext, athlete_id: int, strava_id: int, priority: int) -> None:
    """Fetch one activity again (one call) and store it; gone on Strava means gone here
    (``strava_says_gone``: only the API's copy)."""
    token = context.token(athlete_id)
    try:
        fresh = context.strava.activity(
            token, strava_id, priority=priority, athlete_id=athlete_id, fresh=True
        )
    except NotFound:
        strava_says_gone(context, athlete_id, strava_id)
        return
    store_fetched(context, athlete_id, [fresh])


def strava_says_gone(context: SyncContext, athlete_id: int, strava_id: int) -> bool:
    """The one place that acts on "Strava no longer has this activity" (a fetch with the
    athlete's own token answered 404): only the named athlete's row from Strava's API
    goes; an own file linked to it stays and only loses the link. Returns whether a row
    went."""
    with transaction(context.sessions) as session:
        gone = activities.delete_api_activity(session, athlete_id, strava_id)
    log.info(
        "activity gone on Strava",
        extra={"athlete_id": athlete_id, "strava_id": strava_id, "deleted": gone},
    )
    return gone


def delete_if_gone(context: SyncContext, athlete_id: int, strava_id: int, priority: int) -> bool:
    """A delete event, checked: the activity goes only if Strava no longer has it.

    Push events are unsigned, so a forged or mistaken one must not delete what the athlete
    has. Only an activity this athlete holds from the API is checked (one call); the
    athlete's own imported files are never deleted by an event. Returns whether it went.
    """
    with context.sessions() as session:
        held = activities.by_strava_id(session, athlete_id, strava_id)
        if held is None or held.source != Source.STRAVA_API:
            return False
    try:
        token = context.token(athlete_id)
    except AthleteDisconnected:
        # Nobody can ask Strava for this athlete any more: the event cannot be checked.
        log.info(
            "delete event for a disconnected athlete: kept",
            extra={"athlete_id": athlete_id, "strava_id": strava_id},
        )
        return False
    try:
        context.strava.activity(
            token, strava_id, priority=priority, athlete_id=athlete_id, fresh=True
        )
    except NotFound:
        return strava_says_gone(context, athlete_id, strava_id)
    log.warning(
        "delete event for an activity Strava still has: kept",
        extra={"athlete_id": athlete_id, "strava_id": strava_id},
    )
    return False


def respect_archive(session: Session, athlete_id: int, covers_up_to: datetime) -> None:
    """Spare the API what an imported archive holds.

    Before the backfill has started, the archive stands in for it: backfill is done, and
    the incremental sync (``after=`` the newest start held) asks only for activities
    since the export, paging up in one list call per 200. A backfill that has already
    reached the archive's newest activity stops there. (A backfill still above it goes
    on; what it brings that the archive holds is merged, not doubled.)
    """
    state = repository.sync_state_for_update(session, athlete_id)
    if state.backfill_done:
        return
    if state.backfill_cursor is None and state.newest_activity_at is None:
        state.backfill_done = True
        state.newest_activity_at = covers_up_to
    elif state.backfill_cursor is not None and state.backfill_cursor <= covers_up_to:
        state.backfill_done = True
