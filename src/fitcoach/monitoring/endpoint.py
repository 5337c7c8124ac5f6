"""``GET /metrics``: every process's counts plus the installation's figures, for Prometheus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from fitcoach.monitoring.access import FORWARDING_HEADERS, metrics_refusal
from fitcoach.monitoring.collector import InstallationCollector
from fitcoach.monitoring.process import scrape_registry
from fitcoach.monitoring.status import Queue
from fitcoach.strava.budget import Budget
from fitcoach.strava.gate import BudgetGate
from fitcoach.web.errors import error_body
from fitcoach.web.state import AppState

router = APIRouter()

_QUEUE = "monitoring_queue"


def attach_queue(app: FastAPI, queue: Queue) -> None:
    """Let the scrape and the admin page report the task queue's depth."""
    setattr(app.state, _QUEUE, queue)


def queue_of(app: Any) -> Queue | None:
    queue: Queue | None = getattr(app.state, _QUEUE, None)
    return queue


def budget_of(state: AppState) -> Budget | None:
    gate = state.strava.gate
    return gate.budget if isinstance(gate, BudgetGate) else None


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.fitcoach
    refusal = metrics_refusal(
        state.settings,
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
    app = request.app
    collector = InstallationCollector(
        state.sessions, budget_of(state), lambda: queue_of(app), state.clock
    )
    # The scrape reads the database and files: off the event loop.
    body = await run_in_threadpool(generate_latest, scrape_registry(collector))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
