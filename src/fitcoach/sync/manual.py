"""A manual refresh: a person pressed the button.

While push events flow, an athlete with no news has nothing to fetch: Strava would only
answer "nothing new", so the press is answered from the store at no cost, with the offer
to ask Strava directly (a press within minutes of the last one does). An athlete with
news, or one whose webhooks went quiet, gets one incremental sync.
"""

from __future__ import annotations

from typing import Any

from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.sync.activities import incremental_sync, record_failure
from fitcoach.sync.context import SyncContext
from fitcoach.sync.freshness import sync_marks
from fitcoach.sync.schedule import webhooks_live


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
