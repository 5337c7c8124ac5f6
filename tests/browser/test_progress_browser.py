"""What an athlete sees of work done in the background, in Chromium at desktop and phone
sizes: the history import's progress with the time left, loads recomputed from streams
fetched in spare budget, labelled by their method; and an activity's laps."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from fitcoach.core.db import transaction
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, LoadRecompute, SyncState
from fitcoach.sync.activities import incremental_sync
from fitcoach.sync.upgrades import upgrade_streams
from tests.browser.conftest import LiveSite, csp_violations
from tests.browser.test_dashboard_browser import SCREENSHOTS, connect, no_sideways_scroll
from tests.browser.test_history_browser import SIZES
from tests.conftest import sync_of
from tests.dashboard.dashboard_support import sim

pytestmark = pytest.mark.browser

STREAM_METHODS = ("pace_stream", "heart_rate_stream", "power_stream")


@pytest.mark.parametrize("size", SIZES)
def test_import_progress_and_loads_from_streams(page: Page, site: LiveSite, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    athlete_id = site.athlete_id()
    now = site.state.clock()
    with transaction(site.state.sessions) as session:
        state = session.get(SyncState, athlete_id)
        assert state is not None
        # Half the history in an hour (as if the import were still under way).
        state.backfill_done = False
        state.newest_activity_at = now - timedelta(days=1)
        state.backfill_cursor = state.newest_activity_at - timedelta(days=200)
        state.backfill_started_at = now - timedelta(hours=1)
        state.history_starts_at = state.backfill_cursor - timedelta(days=200)
        # A threshold change's recompute, a quarter done in 2 minutes.
        session.add(
            LoadRecompute(
                athlete_id=athlete_id, total=800, done=200, requested_at=now - timedelta(minutes=2)
            )
        )
    page.reload()
    recompute = page.locator("#recompute-progress")
    expect(recompute).to_contain_text("200 of 800 activities done")
    expect(recompute).to_contain_text(re.compile(r"about\s+(6|7) minutes left"))
    backfill = page.locator("#backfill")
    expect(backfill).to_contain_text("activities so far")
    expect(backfill).to_contain_text(re.compile(r"About [\d,]+ more to come"))
    expect(backfill).to_contain_text(re.compile(r"about 1 hour left at the pace so far"))
    expect(page.get_by_label("History imported")).to_have_attribute("value", "50")
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOTS.format(f"import-progress-{size}"), full_page=size == "phone")

    # A run on Strava, stored from its summary (scored from its average pace), then in
    # spare budget the worker fetches its streams: one pass.
    start = int(now.timestamp()) - 5 * 3600
    sim(
        site.simulator,
        "POST",
        f"/athletes/{site.strava_id()}/activities",
        generate={"workout": "run_intervals", "name": "Track 12x400", "start": start,
                  "duration": 3000},
    )  # fmt: skip
    incremental_sync(sync_of(site.state), athlete_id, 3)
    done = upgrade_streams(sync_of(site.state), now, per_pass=5)
    assert done.upgraded >= 1
    with site.state.sessions() as session:
        upgraded = session.scalars(
            select(Activity.id).where(
                Activity.athlete_id == athlete_id, Activity.load_method.in_(STREAM_METHODS)
            )
        ).first()
    assert upgraded is not None
    page.goto(f"{site.url}/activities/{upgraded}")
    load = page.get_by_role("region", name="Training load")
    expect(load).to_contain_text(re.compile(r"How it was computed: [^.]* stream"))
    no_sideways_scroll(page)
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []


LAPPED = Path(__file__).resolve().parents[1] / "files" / "real" / "tcx"


@pytest.mark.parametrize("size", SIZES)
def test_laps_on_the_activity_page(page: Page, site: LiveSite, size: str) -> None:
    """A run's laps from its file (a TCX with ten laps): a table on a desktop, a card per
    lap on a phone, with no sideways scrolling."""
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    athlete_id = site.athlete_id()
    job = import_path(
        site.state.sessions,
        athlete_id,
        LAPPED / "garmin-forerunner-410__run-10-laps.tcx",
        Limits(),
        clock=site.state.clock,
    )
    with site.state.sessions() as session:
        (stored,) = session.scalars(
            select(Activity.id).where(Activity.athlete_id == athlete_id, Activity.source == "file")
        ).all()
    assert job.status == "done"
    page.goto(f"{site.url}/activities/{stored}")
    laps = page.get_by_role("region", name="Laps")
    expect(laps.locator("tbody tr")).to_have_count(10)
    first = laps.locator("tbody tr").first
    expect(first).to_contain_text(re.compile(r"\d+:\d\d /km"))  # a run's laps as pace
    expect(first).to_contain_text("bpm")
    if size == "phone":
        # The column's name goes with each value: the header row is for screen readers.
        label = first.locator('td[data-label="Pace"]')
        assert "Pace" in label.evaluate("e => getComputedStyle(e, '::before').content")
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOTS.format(f"laps-{size}"), full_page=size == "phone")
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []
