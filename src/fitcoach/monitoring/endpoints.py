"""``GET /metrics``: every process's counts plus the installation's figures, for Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from fitcoach.monitoring.access import FORWARDING_HEADERS, metrics_refusal
from fitcoach.monitoring.collector import InstallationCollector
from fitcoach.monitoring.process import scrape_registry
from fitcoach.strava.budget import Budget
from fitcoach.strava.client import StravaClient
from fitcoach.strava.gate import BudgetGate
from fitcoach.web.deps import AppServices
from fitcoach.web.errors import error_body

router = APIRouter()


def budget_of(strava: StravaClient) -> Budget | None:
    """The budget behind the Strava client, when it has one."""
    gate = strava.gate
    return gate.budget if isinstance(gate, BudgetGate) else None


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, app: AppServices) -> Response:
    refusal = metrics_refusal(
        app.settings,
        request.headers.get("authorization"),
        request.client.host if request.client else None,
        any(name in request.headers for name in FORWARDING_HEADERS),
    )
    if refusal is not None:
        headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
        return JSONResponse(
            error_body(refusal.status, refusal.reason, refusal.what_to_do),
            status_code=refusal.status,
            headers=headers,
        )
    collector = InstallationCollector(app.sessions, budget_of(app.strava), app.queue, app.clock)
    # The scrape reads the database and files: off the event loop.
    body = await run_in_threadpool(generate_latest, scrape_registry(collector))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
