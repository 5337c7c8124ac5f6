"""``/admin``: the installation at a glance, for its operators only.

Operators are the athletes named in ADMIN_ATHLETE_IDS (by their logged-in
session) and tools that send ADMIN_TOKEN as a bearer token. The page shows the figures
``/metrics`` gives Prometheus, read the same way, in words and tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError

from fitcoach.monitoring.athletes import top
from fitcoach.monitoring.endpoints import budget_of
from fitcoach.monitoring.queries import (
    AthleteCounts,
    BudgetStatus,
    DataConflict,
    QueueStatus,
    SignInCounts,
    SyncFailure,
    WebhookStatus,
    athlete_counts,
    athlete_names,
    budget_status,
    data_conflicts,
    failing_count,
    queue_status,
    sign_in_counts,
    sync_failures,
    webhook_status,
)
from fitcoach.strava.budget import BudgetError, WindowUsage
from fitcoach.web.deps import AppServices, OptionalAthlete
from fitcoach.web.operators import is_operator
from fitcoach.web.templating import message_page, page

router = APIRouter()
log = logging.getLogger("fitcoach.monitoring.admin")

TOP_ATHLETES = 10
FAILURES_SHOWN = 20


@dataclass(frozen=True, slots=True)
class WindowRow:
    name: str
    used: int
    limit: int
    resets_at: datetime

    @property
    def percent(self) -> int:
        return min(100, self.used * 100 // max(1, self.limit))


@dataclass(frozen=True, slots=True)
class AthleteRow:
    athlete_id: int
    name: str
    today: int
    quarter: int


@dataclass(frozen=True, slots=True)
class AdminView:
    at: datetime
    windows: list[WindowRow]
    athlete_daily_limit: int
    athlete_short_limit: int
    top_athletes: list[AthleteRow]
    active_today: int | None
    athletes: AthleteCounts
    sign_ins: SignInCounts
    failing: int
    failures: list[SyncFailure]
    conflicts: list[DataConflict]
    webhooks: WebhookStatus
    queue: QueueStatus | None
    problems: list[str]


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def admin_page(request: Request, app: AppServices, athlete_id: OptionalAthlete) -> HTMLResponse:
    if not is_operator(request, app.settings, athlete_id):
        return message_page(
            request,
            "Operators only",
            "This page shows the whole installation's Strava budget and every athlete's "
            "sync state, so only its operators may see it.",
            "Sign in with an account listed in ADMIN_ATHLETE_IDS, or send ADMIN_TOKEN "
            "as a bearer token.",
            status_code=403,
        )
    view = read_view(app)
    response = page(request, "admin.html", view=view, nav="admin")
    response.headers["Cache-Control"] = "no-store"  # other athletes' data: never cached
    return response


def read_view(app: AppServices) -> AdminView:
    now = app.clock()
    problems: list[str] = []
    budget: BudgetStatus | None = None
    source = budget_of(app.strava)
    if source is not None:
        try:
            budget = budget_status(source)
        except (BudgetError, SQLAlchemyError) as error:
            problems.append(f"The budget's counters cannot be read: {error}")
    queue: QueueStatus | None = None
    try:
        queue = queue_status(app.queue)
    except Exception as error:  # huey's storage errors share no base class
        problems.append(f"The task queue cannot be read: {error}")
    with app.sessions() as session:
        athletes = athlete_counts(session, now)
        sign_ins = sign_in_counts(session)
        failing = failing_count(session)
        failures = sync_failures(session, FAILURES_SHOWN)
        conflicts = data_conflicts(session, FAILURES_SHOWN)
        webhooks = webhook_status(session, now)
        ranked = top(budget.athletes_daily, TOP_ATHLETES) if budget else []
        names = athlete_names(session, (athlete_id for athlete_id, _ in ranked))
    return AdminView(
        at=now,
        windows=_windows(budget),
        athlete_daily_limit=budget.athlete_daily_limit if budget else 0,
        athlete_short_limit=budget.athlete_short_limit if budget else 0,
        top_athletes=[
            AthleteRow(
                athlete_id,
                names.get(athlete_id, ""),
                today,
                budget.athletes_short.get(athlete_id, 0) if budget else 0,
            )
            for athlete_id, today in ranked
        ],
        active_today=len(budget.athletes_daily) if budget else None,
        athletes=athletes,
        sign_ins=sign_ins,
        failing=failing,
        failures=failures,
        conflicts=conflicts,
        webhooks=webhooks,
        queue=queue,
        problems=problems,
    )


def _windows(budget: BudgetStatus | None) -> list[WindowRow]:
    if budget is None:
        return []
    usage = budget.usage

    def row(name: str, window: WindowUsage) -> WindowRow:
        return WindowRow(name, window.used, window.limit, window.resets_at)

    return [
        row("All requests, this 15 minutes", usage.short),
        row("All requests, today", usage.daily),
        row("Read requests, this 15 minutes", usage.read_short),
        row("Read requests, today", usage.read_daily),
    ]
