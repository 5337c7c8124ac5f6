"""The athlete's pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from fitcoach.store.models import Activity, Athlete
from fitcoach.web.security import session_athlete
from fitcoach.web.state import AppState
from fitcoach.web.templating import page

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    athlete_id = session_athlete(request)
    state: AppState = request.app.state.fitcoach
    if athlete_id is not None:
        with state.sessions() as session:
            athlete = session.get(Athlete, athlete_id)
            if athlete is not None:
                count = session.scalar(
                    select(func.count()).where(Activity.athlete_id == athlete_id)
                )
                return page(request, "home.html", athlete=athlete, activity_count=count or 0)
        request.session.clear()  # the athlete was deleted since this session began
    return page(request, "landing.html", athlete_id=None)
