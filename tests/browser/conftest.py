"""A real browser (Debian's Chromium, driven by Playwright) against fitcoach served by
uvicorn on loopback, which talks to the Strava simulator, also on loopback.

Chromium missing: skipped on a developer's machine, a failure in CI (CI=true).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.app import create_app
from fitcoach.athletes.local_day import athlete_today
from fitcoach.core.db import transaction
from fitcoach.models import Athlete, SyncState
from fitcoach.sync.activities import backfill_page
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.webhooks.repository import SUBSCRIPTION_ID, set_setting
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import store_event
from fitcoach.web.deps import Services
from tests.conftest import (
    RecordingQueue,
    RunningServer,
    services_of,
    strava_id_of,
    sync_of,
    unavailable,
)
from tests.dashboard.dashboard_support import settings_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def csp_violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("() => window.__cspViolations || []")
    return found


# Long enough for the page to show the queued state, short enough to keep the suite fast.
QUEUE_DELAY_S = 1.0


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    launched = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


@dataclass
class LiveSite:
    """fitcoach on loopback, its simulator, and what the test can observe of it."""

    url: str
    simulator: RunningServer
    state: Services
    queue: RecordingQueue
    outside_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def recomputed(self) -> list[int]:
        return self.queue.recomputes

    def athlete_id(self) -> int:
        with self.state.sessions() as session:
            return int(session.scalars(select(Athlete.id)).one())

    def today(self) -> date:
        """The athlete's today: the date where their newest activity was recorded (the
        pages' today, not UTC's)."""
        with self.state.sessions() as session:
            return athlete_today(session, self.athlete_id(), self.state.clock())

    def strava_id(self) -> int:
        """The simulator's (Strava's) id of the connected athlete."""
        return strava_id_of(self.state.sessions, self.athlete_id())

    def backfill(self) -> None:
        athlete_id = self.athlete_id()
        while backfill_page(sync_of(self.state), athlete_id, 0).more:
            pass

    def age_last_sync(self, hours: float) -> None:
        """As if the last sync were ``hours`` ago (the manual refresh allows one a minute)."""
        with transaction(self.state.sessions) as session:
            sync_state = session.get(SyncState, self.athlete_id())
            assert sync_state is not None and sync_state.last_sync_at is not None
            sync_state.last_sync_at = self.state.clock() - timedelta(hours=hours)

    def webhooks_flowing(self) -> None:
        """A push subscription that delivered an event a moment ago (about someone else)."""
        now = self.state.clock()
        event = PushEvent(
            object_type="activity",
            object_id=1,
            aspect_type="create",
            owner_id=1,
            subscription_id=4242,
            event_time=int(now.timestamp()),
        )
        with transaction(self.state.sessions) as session:
            set_setting(session, SUBSCRIPTION_ID, "4242")
            store_event(session, event, now)


class ThreadedRefreshes(RecordingQueue):
    """A stand-in for the worker: the refresh runs a moment later, in another thread, so
    the page has to show the queued state and poll for the outcome."""

    def refresh(self, athlete_id: int, ask_strava: bool) -> str:
        job = uuid.uuid4().hex
        self.outcomes[job] = {"status": "queued", "fetched": 0, "message": "Waiting for a worker…"}

        def run() -> None:
            time.sleep(QUEUE_DELAY_S)
            self.outcomes[job] = manual_sync(self.context, athlete_id, ask_strava)

        threading.Thread(target=run, daemon=True).start()
        return job


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[LiveSite]:
    queue = ThreadedRefreshes()
    app = create_app(settings_for(sqlite_url, simulator), queue=queue)
    state = services_of(app)
    queue.context = sync_of(state)
    server = RunningServer(app)
    # The OAuth callback must come back to the port uvicorn picked.
    state.settings.public_url = server.url
    live = LiveSite(server.url, simulator, state, queue)
    yield live
    server.stop()


@pytest.fixture
def page(browser: Browser, site: LiveSite) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    allowed = {urlsplit(site.url).netloc, urlsplit(site.simulator.url).netloc}

    def guard(route: Any) -> None:
        # Everything the pages load must be served by fitcoach itself: no CDN, no fonts.
        netloc = urlsplit(route.request.url).netloc
        if netloc in allowed or route.request.url.startswith("data:"):
            route.continue_()
        else:
            site.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    # Whatever the Content-Security-Policy refuses (an inline script or style, another
    # origin), as the page saw it: ``csp_violations(page)``.
    context.add_init_script(CSP_RECORDER)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    opened.on("pageerror", lambda error: site.page_errors.append(str(error)))

    def console(message: Any) -> None:
        # Expected 4xx answers (a refused refresh, a form with errors) are logged by
        # Chromium as "Failed to load resource"; script errors are what matters here.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            site.page_errors.append(message.text)

    opened.on("console", console)
    yield opened
    context.close()
