"""A threshold change in Chromium, at desktop and phone sizes: the settings form asks
whether it applies from today, from a chosen day or to every activity, answers at once,
and follows the background recompute's count done of the total until it finishes."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach.activities.loads import recompute_requested
from fitcoach.app import create_app
from fitcoach.models import Activity
from tests.browser.conftest import QUEUE_DELAY_S, LiveSite, ThreadedRefreshes, csp_violations
from tests.browser.test_dashboard_browser import SCREENSHOTS, connect, no_sideways_scroll
from tests.conftest import RunningServer, services_of, sync_of
from tests.dashboard.dashboard_support import settings_for

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


class ThreadedRecomputes(ThreadedRefreshes):
    """A stand-in for the worker: the recompute starts a moment later, in another thread,
    so the page shows it waiting and then follows it without a reload."""

    def recompute_loads(self, athlete_id: int) -> None:
        self.recomputes.append(athlete_id)

        def run() -> None:
            time.sleep(QUEUE_DELAY_S)
            recompute_requested(self.context.sessions, athlete_id, self.context.clock)

        threading.Thread(target=run, daemon=True).start()


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[LiveSite]:
    queue = ThreadedRecomputes()
    app = create_app(settings_for(sqlite_url, simulator), queue=queue)
    state = services_of(app)
    queue.context = sync_of(state)
    server = RunningServer(app)
    state.settings.public_url = server.url
    yield LiveSite(server.url, simulator, state, queue)
    server.stop()


@pytest.mark.parametrize("size", SIZES)
def test_a_threshold_change_asks_from_when_and_shows_the_recompute(
    page: Page, site: LiveSite, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    page.goto(f"{site.url}/settings")
    expect(page.get_by_role("radio", name="from today")).to_be_checked()

    # A day in the future is refused in words, and nothing is recomputed.
    ftp = page.get_by_label("FTP (watts)")
    ftp.fill("270")
    page.get_by_role("radio", name="from a day of my choice").check()
    today = site.today()
    page.get_by_label("Day it applies from").fill((today + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.locator("#applies_date-error")).to_contain_text("today or an earlier day")
    assert site.recomputed == []

    # From ten days ago: saved at once; the page follows the worker until it is done.
    chosen = today - timedelta(days=10)
    page.get_by_label("Day it applies from").fill(chosen.isoformat())
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text(f"from {chosen.day} {chosen:%B %Y} on")
    progress = page.locator("#recompute-text")
    expect(progress).to_contain_text("Recomputing loads for activities from")
    with site.state.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(Activity).where(Activity.start_day >= chosen)
        )
    expect(progress).to_contain_text(
        re.compile(rf"Loads recomputed .*: {count} of {count} done"), timeout=15_000
    )
    expect(page.locator("#recompute-bar")).to_have_attribute("value", str(count))
    expect(ftp).to_have_value("270")
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOTS.format(f"thresholds-recompute-{size}"), full_page=True)

    # The history by date names the day it applies from.
    page.get_by_role("link", name="Thresholds over time").click()
    table = page.locator("#dated-thresholds")
    expect(table).to_contain_text(chosen.isoformat())
    expect(table).to_contain_text("270 W")
    no_sideways_scroll(page)
    assert site.recomputed == [site.athlete_id()]
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []
