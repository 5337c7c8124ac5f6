"""The athlete's dashboard at ``/`` and the parts of it that htmx refreshes in place."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fitcoach.athletes.local_day import athlete_today
from fitcoach.core.errors import NotLoggedIn
from fitcoach.dashboard.queries import read_dashboard, read_goal_history
from fitcoach.dashboard.views import (
    RANGES,
    Overview,
    backfill_progress,
    dashboard,
    performance_only,
    recompute_progress,
)
from fitcoach.strava.budget import Usage
from fitcoach.strava.gate import BudgetGate
from fitcoach.sync.context import Sync, SyncContext
from fitcoach.sync.freshness import Freshness, refresh_now, stored_freshness
from fitcoach.web.deps import CurrentAthlete, Now, OptionalAthlete, PageReads, Strava
from fitcoach.web.templating import page

router = APIRouter()
log = logging.getLogger("fitcoach.dashboard")

# Below this share of a window in use, the budget is nobody's concern on the page.
PRESSURE_SHOWN_FROM = 0.8

Range = Annotated[str | None, Query()]


def budget_pressure(usage: Usage | None) -> str | None:
    """The shared Strava budget in words, when it is nearly used up."""
    if usage is None:
        return None
    daily = max(usage.daily, usage.read_daily, key=lambda w: w.fraction)
    short = max(usage.short, usage.read_short, key=lambda w: w.fraction)
    if daily.fraction >= PRESSURE_SHOWN_FROM:
        return (
            f"This fitcoach has used {min(daily.fraction, 1):.0%} of today's Strava requests "
            f"(they reset at {daily.resets_at:%H:%M} UTC): new activities may take longer "
            "to appear, and older history is imported more slowly."
        )
    if short.fraction >= PRESSURE_SHOWN_FROM:
        return (
            f"Strava requests are busy right now ({min(short.fraction, 1):.0%} of the "
            f"15-minute allowance, which resets at {short.resets_at:%H:%M} UTC): a refresh "
            "may have to wait a few minutes."
        )
    return None


def _budget_usage(strava: Strava) -> Usage | None:
    gate = strava.gate
    if not isinstance(gate, BudgetGate):
        return None
    try:
        return gate.recent_usage()
    except Exception:  # a Redis or database hiccup must not cost the page
        log.warning("budget usage unreadable", exc_info=True)
        return None


def _notes(usage: Usage | None, overview: Overview, freshness: Freshness) -> list[str]:
    notes = [note for note in (freshness.note, budget_pressure(usage)) if note]
    sync = overview.sync
    if sync.failures and sync.last_error_at is not None:
        attempts = "attempt" if sync.failures == 1 else f"{sync.failures} attempts"
        notes.append(
            f"The last {attempts} to fetch your Strava activities failed "
            f"(last at {sync.last_error_at:%H:%M} UTC): {sync.last_error or 'no reason given'} "
            "fitcoach keeps trying by itself."
        )
    return notes


def _context(
    reader: PageReads,
    strava: Strava,
    now: datetime,
    athlete_id: int,
    key: str | None,
    sync: SyncContext | None,
) -> dict[str, Any] | None:
    """The dashboard's template context. With ``sync``, an athlete a webhook said has news
    is refreshed from Strava first (between two turns: this may wait on Strava) and read
    again; without, or for the others, the data is served from the store as it is, as
    fresh as the sync state the dashboard read says."""
    with reader.turn() as connection:
        # The athlete's today, not UTC's: their week, form and advice as of their morning.
        today = athlete_today(connection, athlete_id, now)
        reads = read_dashboard(connection, athlete_id, today)
    freshness: Freshness | None = None
    if reads is not None and sync is not None and reads.head.marks.refresh_due:
        freshness = refresh_now(sync, athlete_id)
        with reader.turn() as connection:
            reads = read_dashboard(connection, athlete_id, today)
    if reads is None:
        return None
    overview = dashboard(reads, today, key)  # outside the turn: no reads here
    if freshness is None:
        freshness = stored_freshness(now, overview.sync.last_sync_at)
    return {
        "overview": overview,
        "performance": overview.performance,
        "ranges": RANGES,
        "freshness": freshness,
        "notes": _notes(_budget_usage(strava), overview, freshness),
        "skipped": reads.skipped,
        "backfill": backfill_progress(overview.sync, now),
        "recompute": recompute_progress(overview.sync, now),
        "nav": "dashboard",
    }


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    athlete_id: OptionalAthlete,
    reader: PageReads,
    strava: Strava,
    sync: Sync,
    now: Now,
    range: Range = None,
) -> HTMLResponse:
    if athlete_id is not None:
        # The one place a page view may cost a Strava call: only when a webhook said
        # there is news and the budget lets a person's request through.
        context = _context(reader, strava, now, athlete_id, range, sync)
        if context is not None:
            return page(request, "dashboard.html", **context)
        request.session.clear()  # the athlete was deleted since this session began
    return page(request, "landing.html", athlete_id=None)


@router.get("/partials/dashboard", response_class=HTMLResponse)
def dashboard_part(
    request: Request,
    athlete_id: CurrentAthlete,
    reader: PageReads,
    strava: Strava,
    now: Now,
    range: Range = None,
) -> HTMLResponse:
    """The data parts of the dashboard, re-read from the database after a refresh."""
    context = _context(reader, strava, now, athlete_id, range, None)
    if context is None:
        raise NotLoggedIn("You are not logged in.")
    return page(request, "partials/dashboard_live.html", **context)


@router.get("/partials/performance", response_class=HTMLResponse)
def performance_part(
    request: Request, athlete_id: CurrentAthlete, reader: PageReads, now: Now, range: Range = None
) -> HTMLResponse:
    """The fitness chart for another range."""
    with reader.turn() as connection:
        today = athlete_today(connection, athlete_id, now)
        reads = read_goal_history(connection, athlete_id)
    if reads is None:
        raise NotLoggedIn("You are not logged in.")
    performance = performance_only(reads, today, range)
    return page(request, "partials/performance.html", performance=performance, ranges=RANGES)
