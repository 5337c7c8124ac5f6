"""One activity: summary, load and how it was computed, zones and charts from its streams."""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fitcoach.dashboard.activity_view import activity_detail, find_activity
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.errors import (
    BudgetExhausted,
    NotFound,
    RateLimited,
    StravaError,
    Unauthorized,
)
from fitcoach.sync.context import Sync
from fitcoach.sync.streams import activity_streams
from fitcoach.web.deps import Now, OptionalAthlete, Sessions
from fitcoach.web.page_common import login_required, not_found
from fitcoach.web.templating import page

router = APIRouter()
log = logging.getLogger("fitcoach.web.activity")


def _after(retry_at: datetime | None) -> str:
    return f"after {retry_at:%H:%M} UTC" if retry_at else "shortly"


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity(
    request: Request,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    sync: Sync,
    now: Now,
    activity_id: int,
) -> HTMLResponse:
    if athlete_id is None:
        return login_required(request)
    if not find_activity(sessions, athlete_id, activity_id):
        return not_found(request, "Activity")
    streams: dict[str, list[float]] | None = None
    note: str | None = None
    reconnect = False
    try:
        streams = activity_streams(sync, athlete_id, activity_id)
    except (BudgetExhausted, RateLimited) as refusal:
        note = (
            "Strava's request budget is used up for now, so the charts and zones (one "
            f"request to Strava) are not here yet; reload {_after(refusal.retry_at)}. "
            "The summary below is from your stored data."
        )
    except NotFound:
        note = (
            "Strava no longer has the detailed recording of this activity (it may have been "
            "deleted or made private); the summary below is what fitcoach stored."
        )
    except (AthleteDisconnected, Unauthorized):
        reconnect = True
        note = (
            "fitcoach lost access to your Strava account, so it cannot fetch this activity's "
            "charts. Connect again to see them; the summary below is from your stored data."
        )
    except StravaError as error:
        log.warning("streams unavailable", extra={"error": str(error)})
        note = (
            "Strava is not answering just now, so the charts and zones are missing; try "
            "again in a few minutes. The summary below is from your stored data."
        )
    # UTC's date, as the background scoring of the stored load used (``compute_loads``): the
    # thresholds shown are the ones the load was scored with.
    detail = activity_detail(sessions, athlete_id, activity_id, now.date(), streams)
    if detail is None:
        return not_found(request, "Activity")
    if streams == {} and note is None:
        note = "This activity has no recorded streams (a manual entry), so there are no charts."
    return page(
        request,
        "activity.html",
        detail=detail,
        note=note,
        reconnect=reconnect,
        nav="dashboard",
    )
