"""When the worker syncs by itself: the daily safety net, and whether push events still flow.

A webhook marks an athlete dirty and costs nothing more: the athlete's next view makes
the one list call that fetches the news. The daily sync is the net under that policy,
spread over the day's 96 quarter hours (an athlete's slot is ``id % 96``):

- an athlete still dirty a day after their last sync (news nobody has looked at) is
  synced, so stored data is never more than a day behind Strava;
- while push events flow, an athlete without news is *not* synced: Strava would only
  answer "nothing new". When no event has arrived for a while (no subscription, a
  broken callback, Strava not delivering), every athlete a day old is synced, as
  without webhooks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.sync.repository import stale_connected_athletes
from fitcoach.sync.webhooks.repository import (
    SUBSCRIPTION_ID,
    get_setting,
    latest_event_received_at,
)

DAILY_SLOTS = 96  # quarter hours in a day: each athlete's daily sync has its own slot
DAILY_STALE = timedelta(hours=23)  # synced within this (e.g. by a view): skipped today
# With thousands of athletes events arrive every few minutes; a day without one means the
# subscription is not delivering (a small installation merely falls back to daily syncs).
WEBHOOKS_QUIET = timedelta(hours=24)


def webhooks_live(session: Session, now: datetime) -> bool:
    """A push subscription is registered and has delivered an event within a day."""
    if get_setting(session, SUBSCRIPTION_ID) is None:
        return False
    latest = latest_event_received_at(session)
    return latest is not None and latest >= now - WEBHOOKS_QUIET


def daily_slot(now: datetime) -> int:
    return (now.hour * 60 + now.minute) // 15


def due_for_daily_sync(sessions: sessionmaker[Session], now: datetime) -> list[int]:
    """The connected athletes whose slot is this quarter hour and who need a sync."""
    slot = daily_slot(now)
    with sessions() as session:
        due = stale_connected_athletes(
            session, now - DAILY_STALE, dirty_only=webhooks_live(session, now)
        )
    return [athlete_id for athlete_id in due if athlete_id % DAILY_SLOTS == slot]
