"""A manual refresh: one incremental sync for a person who pressed the button."""

from __future__ import annotations

from typing import Any

from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.sync.activities import incremental_sync, record_failure
from fitcoach.sync.context import SyncContext


def manual_sync(context: SyncContext, athlete_id: int) -> dict[str, Any]:
    """Run the refresh and describe the outcome for the page (never raises)."""
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
        "message": f"Up to date: {result.fetched} new or changed {noun}.",
    }
