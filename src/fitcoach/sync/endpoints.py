"""The Refresh button: ``POST /api/strava/sync`` queues a manual refresh and answers at
once; ``GET /api/strava/sync/{job}`` reports on it. Identity from the session only; the
press needs the CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from fitcoach.core.errors import NotLoggedIn
from fitcoach.sync.manual import asks_strava, check_refresh_allowed
from fitcoach.web.deps import CurrentAthlete, Now, OptionalAthlete, Queue, Sessions
from fitcoach.web.security import check_csrf

router = APIRouter(prefix="/api/strava")

RECENT_JOBS = 5  # refresh jobs a session may ask about


@router.post("/sync", status_code=202)
async def manual_sync(
    request: Request,
    sessions: Sessions,
    queue: Queue,
    now: Now,
    athlete_id: OptionalAthlete,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Queue a manual refresh of the session athlete's activities; answers at once."""
    form = await request.form() if not x_csrf_token else None
    submitted = x_csrf_token or (str(form.get("csrf", "")) if form is not None else "")
    check_csrf(request, submitted)
    # After the CSRF check: a request without the token learns nothing, logged in or not.
    if athlete_id is None:
        raise NotLoggedIn("You are not logged in.")
    await run_in_threadpool(check_refresh_allowed, sessions, athlete_id, now)
    pressed = request.session.get("refresh_pressed_at")
    pressed_before = (
        datetime.fromtimestamp(pressed, UTC) if isinstance(pressed, int | float) else None
    )
    request.session["refresh_pressed_at"] = now.timestamp()
    job = queue.refresh(athlete_id, asks_strava(pressed_before, now))
    jobs = [j for j in request.session.get("sync_jobs", []) if isinstance(j, str)]
    request.session["sync_jobs"] = [*jobs[-(RECENT_JOBS - 1) :], job]
    return JSONResponse(
        {"job": job, "status": "queued", "progress_url": f"/api/strava/sync/{job}"},
        status_code=202,
    )


@router.get("/sync/{job}")
def sync_progress(
    request: Request, athlete_id: CurrentAthlete, queue: Queue, job: str
) -> dict[str, Any]:
    """Progress of a manual refresh started in this session."""
    if job not in request.session.get("sync_jobs", []):
        raise HTTPException(404, "No refresh with this id was started in this session.")
    return {"job": job, **queue.refresh_status(job)}
