"""A manual refresh: a person pressed the button.

While push events flow, an athlete with no news has nothing to fetch: Strava would only
answer "nothing new", so the press is answered from the store at no cost, with the offer
to ask Strava directly (a press within minutes of the last one does). An athlete with
news, or one whose webhooks went quiet, gets one incremental sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.errors import FitcoachError
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.sync.activities import incremental_sync, record_failure
from fitcoach.sync.context import SyncContext
from fitcoach.sync.repository import get_sync_state, sync_marks
from fitcoach.sync.schedule import webhooks_live

# One manual refresh per athlete per minute: a person pressing twice gets the same news.
MANUAL_REFRESH_INTERVAL = timedelta(seconds=60)
# A press within this long after the previous one asks Strava even when webhooks report
# nothing new: the person is looking for an activity that should be there.
ASK_AGAIN_WITHIN = timedelta(minutes=10)


class RefreshTooSoon(FitcoachError):
    """The athlete's activities were refreshed less than a minute ago."""

    status = 429

    def __init__(self, message: str, wait_s: int) -> None:
        super().__init__(message)
        self.wait_s = wait_s

    def response_headers(self) -> Mapping[str, str]:
        return {"Retry-After": str(self.wait_s)}


def check_refresh_allowed(sessions: sessionmaker[Session], athlete_id: int, now: datetime) -> None:
    """Raise RefreshTooSoon (with the seconds to wait) within a minute of the last sync."""
    with sessions() as session:
        state = get_sync_state(session, athlete_id)
        last = state.last_sync_at if state else None
    if last is not None and now - last < MANUAL_REFRESH_INTERVAL:
        wait = int((MANUAL_REFRESH_INTERVAL - (now - last)).total_seconds()) + 1
        raise RefreshTooSoon(
            f"Your activities were refreshed {int((now - last).total_seconds())} s ago; "
            f"try again in {wait} s.",
            wait,
        )


def asks_strava(pressed_before: datetime | None, now: datetime) -> bool:
    """A second press soon after the first asks Strava directly, whatever webhooks say."""
    return pressed_before is not None and timedelta(0) <= now - pressed_before < ASK_AGAIN_WITHIN


def manual_sync(context: SyncContext, athlete_id: int, ask_strava: bool = False) -> dict[str, Any]:
    """Run the refresh and describe the outcome for the page (never raises).

    ``ask_strava`` makes the call even when webhooks report nothing new (a second press).
    """
    if not ask_strava:
        with context.sessions() as session:
            marks = sync_marks(session, athlete_id)
            last = None if marks.dirty else marks.last_sync_at
            if last is not None and webhooks_live(session, context.clock()):
                return {
                    "status": "done",
                    "fetched": 0,
                    "asked_strava": False,
                    "message": "Up to date: Strava has sent no news since "
                    f"{last:%d %b %H:%M} UTC. Missing an activity? "
                    "Press Refresh again to ask Strava directly.",
                }
    try:
        result = incremental_sync(context, athlete_id, Priority.INTERACTIVE)
    except (BudgetExhausted, RateLimited) as refusal:
        when = f"{refusal.retry_at:%H:%M} UTC" if refusal.retry_at else "later"
        return {
            "status": "deferred",
            "fetched": 0,
            "message": f"Strava's request budget is used up; try again after {when}.",
        }
    except AthleteDisconnected:
        return {
            "status": "failed",
            "fetched": 0,
            "message": "fitcoach lost access to your Strava account: connect again.",
        }
    except StravaError as error:
        record_failure(context, athlete_id, error)
        return {
            "status": "failed",
            "fetched": 0,
            "message": "Strava is not answering just now; try again in a few minutes.",
        }
    noun = "activity" if result.fetched == 1 else "activities"
    return {
        "status": "done",
        "fetched": result.fetched,
        "asked_strava": True,
        "message": f"Up to date: {result.fetched} new or changed {noun}.",
    }
