"""A backfill that never stops silently: each page's outcome decides when the next goes.

``backfill_step`` fetches one page and says when the next one is due (now, at the budget
window's reset, after a retry delay) or that there is none; the queue task only schedules
what it says. Every error is classified (``fitcoach.sync.retries``) and recorded on the
athlete's sync state; the due time is kept in ``sync_states.backfill_next_at``, so the
periodic ``resume_stalled`` finds a backfill whose task was lost (a worker killed, a
queue emptied) and queues it again, with no worker restart.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from fitcoach.core.db import transaction
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.errors import BudgetExhausted, MissingScope, RateLimited
from fitcoach.sync import repository
from fitcoach.sync.activities import backfill_page, record_failure
from fitcoach.sync.connection import reconnect_needed
from fitcoach.sync.context import SyncContext
from fitcoach.sync.retries import Failure, Next, classify, retry_delay

log = logging.getLogger("fitcoach.sync")

# A refusal that names no time is tried again after this long.
DEFERRED_BY_DEFAULT = timedelta(minutes=15)
# A backfill page due this long ago that has not come lost its task.
STALLED_AFTER = timedelta(minutes=10)


def backfill_step(context: SyncContext, athlete_id: int, attempt: int, priority: int) -> Next:
    """One page of the athlete's history, and when the next is due.

    ``attempt`` counts the failed tries in a row before this one (0 after progress).
    """
    now = context.clock()
    try:
        result = backfill_page(context, athlete_id, priority)
    except (BudgetExhausted, RateLimited) as refusal:
        # Not a failure: the budget says when it may go (its window's reset).
        return _due(context, athlete_id, refusal.retry_at or now + DEFERRED_BY_DEFAULT, 0)
    except MissingScope:
        reconnect_needed(context, athlete_id)
        return Next(None)
    except AthleteDisconnected:
        return Next(None)
    except Exception as error:
        failure = classify(error)
        record_failure(context, athlete_id, error)
        return _due(context, athlete_id, now + retry_delay(failure, attempt + 1), attempt + 1)
    return Next(now, 0) if result.more else Next(None)


def _due(context: SyncContext, athlete_id: int, at: datetime, attempt: int) -> Next:
    """Note the due time where the periodic resume sees it (best effort: when the
    database is what failed, the task's own retry carries on without the note)."""
    try:
        with transaction(context.sessions) as session:
            repository.backfill_due(session, athlete_id, at)
    except Exception as error:
        if classify(error) is not Failure.DATABASE:
            raise
    return Next(at, attempt)


def stalled_backfills(context: SyncContext) -> list[int]:
    """The athletes whose backfill was due more than ``STALLED_AFTER`` ago and did not
    move on; each is marked due now, so that the next sweep leaves them to the task it
    queues."""
    now = context.clock()
    with transaction(context.sessions) as session:
        stalled = repository.stalled_backfills(session, now - STALLED_AFTER)
        for athlete_id in stalled:
            repository.backfill_due(session, athlete_id, now)
    return stalled
