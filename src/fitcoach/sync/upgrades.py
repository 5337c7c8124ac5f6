"""Stream upgrades: in spare budget, the streams of the loads least well measured.

A run scored from its average pace misses its intervals (an interval session's load from
the average is about three quarters of the load from its pace stream), and a ride without a
power meter is scored from its average heart rate at best. Backfill stores summaries only
(one call per 200 activities), so these loads stay low unless someone opens the activity.
This pass fetches their streams at backfill priority, so the budget's reserves for people
and webhooks stand, and only from what the day can spare: at most ``DAY_SHARE`` of the
daily limits, paced over the day (by 06:00 UTC a quarter of it), so a quiet morning cannot
spend what the evening's views will need. Runs and rides of the last 42 days (the span
that moves fitness most) go first, then older ones, newest first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from fitcoach.activities import repository
from fitcoach.activities.curves import store_curves
from fitcoach.activities.loads import compute_stream_loads
from fitcoach.core.db import transaction
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority, Usage
from fitcoach.strava.errors import BudgetExhausted, NotFound, RateLimited, StravaError
from fitcoach.strava.gate import BudgetGate
from fitcoach.sync.context import SyncContext
from fitcoach.sync.streams import STREAM_KEYS

log = logging.getLogger("fitcoach.sync")

# The share of each daily limit upgrades may bring the day's use to, reached at midnight.
DAY_SHARE = 0.5
# Fetches per pass (the worker runs one every 15 minutes): backfill of new athletes,
# at the same priority, keeps its turn.
PER_PASS = 20
RECENT = timedelta(days=42)
# The load methods computed from streams (coach.LoadMethod's values).
STREAM_METHODS = frozenset({"power_stream", "heart_rate_stream", "pace_stream"})


@dataclass(frozen=True, slots=True)
class UpgradePass:
    upgraded: int  # loads now computed from streams (not from averages)
    fetched: int  # calls made
    stopped: str = ""  # why the pass ended early ("" when it ran out of work or allowance)


def spare_calls(usage: Usage, day_share: float = DAY_SHARE) -> int:
    """Calls upgrades may make now: how far the day's use is below ``day_share`` of the
    daily limit pro rata of the day gone (the tighter of the overall and read limits)."""
    day = timedelta(days=1).total_seconds()
    gone = (usage.at - usage.daily.start).total_seconds() / day
    spare = [
        int(day_share * window.limit * min(max(gone, 0.0), 1.0)) - window.used
        for window in (usage.daily, usage.read_daily)
    ]
    return max(0, min(spare))


def _allowance(context: SyncContext, per_pass: int) -> int:
    gate = context.strava.gate
    if isinstance(gate, BudgetGate):
        return min(per_pass, spare_calls(gate.budget.usage()))
    return per_pass  # an ungated client (tests of the pass itself): the pass's own bound


def upgrade_streams(context: SyncContext, now: datetime, per_pass: int = PER_PASS) -> UpgradePass:
    """One pass: fetch streams for the least reliable loads the spare budget allows, keep
    them and score those activities from them."""
    allowance = _allowance(context, per_pass)
    if allowance <= 0:
        return UpgradePass(0, 0, "no spare budget")
    with context.sessions() as session:
        candidates = repository.stream_upgrade_candidates(session, now - RECENT, allowance)
    upgraded = fetched = 0
    skipped: set[int] = set()
    for activity_id, athlete_id, strava_id in candidates:
        if athlete_id in skipped:
            continue
        try:
            token = context.token(athlete_id)
            found = context.strava.streams(
                token, strava_id, STREAM_KEYS, priority=Priority.BACKFILL, athlete_id=athlete_id
            )
            fetched += 1
        except (BudgetExhausted, RateLimited) as refusal:
            return UpgradePass(upgraded, fetched, str(refusal))
        except AthleteDisconnected:
            skipped.add(athlete_id)
            continue
        except NotFound:
            fetched += 1
            found = {}  # gone from Strava (or private): recorded as "no streams", not asked again
        except StravaError as error:
            log.info(
                "stream upgrade failed", extra={"activity_id": activity_id, "error": str(error)}
            )
            skipped.add(athlete_id)  # this athlete's next turn is the next pass
            continue
        streams = {key: list(stream.data) for key, stream in found.items()}
        with transaction(context.sessions) as session:
            activity = repository.get_activity(session, activity_id)
            if activity is None or not repository.keep_streams(session, activity_id, streams):
                continue  # deleted meanwhile, or a page stored them first
            if streams:
                store_curves(
                    session,
                    activity_id,
                    athlete_id,
                    activity.start_date,
                    activity.sport_type,
                    streams,
                )
        if streams:
            compute_stream_loads(context.sessions, athlete_id, [activity_id], now.date())
            with context.sessions() as session:
                method = repository.load_method_of(session, activity_id)
            upgraded += method in STREAM_METHODS
    return UpgradePass(upgraded, fetched)
