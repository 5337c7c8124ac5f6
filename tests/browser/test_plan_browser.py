"""The plan in Chromium, on a desktop and a phone: set a goal, read the plan and the
calendar, open a session and download it for a watch, skip one and see the week planned
again, and the calendar address shown and rotated."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fitdecode
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine, session_factory
from fitcoach.core.settings import load_settings
from tests.browser.conftest import csp_violations
from tests.browser.test_dashboard_browser import no_sideways_scroll
from tests.conftest import MovableClock, RunningServer, session_cookie
from tests.planning.plan_support import ATHLETE, GOAL_FORM, TODAY, morning, seed

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def served(sqlite_url: URL) -> Iterator[tuple[RunningServer, str]]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    seed(session_factory(engine))
    engine.dispose()
    settings = load_settings(database_url=sqlite_url.render_as_string(hide_password=False))
    clock = MovableClock(morning(TODAY))
    server = RunningServer(create_app(settings, clock=clock))
    settings.public_url = server.url
    yield server, session_cookie(settings.secret_key, ATHLETE, 1, clock.now)
    server.stop()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_a_goal_a_plan_a_download_a_skip_and_the_feed(
    browser: Browser, served: tuple[RunningServer, str], size: str, tmp_path: Path
) -> None:
    server, cookie = served
    width, height = VIEWPORTS[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    context.add_cookies([{"name": "fitcoach_session", "value": cookie, "url": server.url}])
    errors: list[Any] = []
    page: Page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{server.url}/plan")
        page.get_by_label("Name").fill(GOAL_FORM["goal_name"])
        page.get_by_label("Date").fill(GOAL_FORM["goal_date"])
        page.get_by_label("Sport of the event").select_option("ride")
        for day in ("Tuesday", "Wednesday", "Thursday", "Saturday", "Sunday"):
            page.get_by_label(day).fill(GOAL_FORM[f"hours_{day[:3].lower()}"])
        page.get_by_role("button", name="Make my plan").click()
        expect(page.get_by_role("status")).to_contain_text("Plan version 1 made")
        expect(page.get_by_role("heading", level=2, name="Toward Spring 100")).to_be_visible()
        weeks = page.locator("section.plan-week")
        expect(weeks).to_have_count(4)
        # 8.5 h a week cannot hold what the ramp asks for: the week says so
        expect(weeks.first.locator(".week-limit")).to_contain_text(
            "already holds its longest session"
        )
        no_sideways_scroll(page)
        page.screenshot(path=f"/tmp/fitcoach-plan-{size}.png", full_page=True)

        # The calendar holds the planned sessions beside what was done.
        page.get_by_role("link", name="Calendar").click()
        expect(page.locator(".cal-planned a").first).to_be_visible()
        no_sideways_scroll(page)
        page.goto(f"{server.url}/plan")

        # A session's page: why, the step chart, the file for a watch.
        first = page.locator(".session a").first
        name = first.inner_text()
        first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.locator("svg.step-chart rect").first).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download for Garmin").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.suffix == ".fit"
        with fitdecode.FitReader(io.BytesIO(saved.read_bytes())) as reader:
            kinds = {f.name for f in reader if isinstance(f, fitdecode.FitDataMessage)}
        assert {"file_id", "workout", "workout_step"} <= kinds
        no_sideways_scroll(page)

        # Skip the first session: the week is planned again, the change is listed.
        page.goto(f"{server.url}/plan")
        page.locator(".session-actions").first.get_by_role("button", name="Skip").click()
        expect(page.get_by_role("status")).to_contain_text("Skipped. Plan version 2")
        expect(page.locator(".history")).to_contain_text("you skipped the")

        # The calendar address, then a new one; the old one stops working.
        feed = page.get_by_label("Calendar address")
        old = feed.input_value()
        assert old.startswith(f"{server.url}/calendar/") and old.endswith(".ics")
        assert page.request.get(old).status == 200
        page.get_by_role("button", name="Make a new address").click()
        expect(page.get_by_role("status")).to_contain_text("new calendar address")
        new = page.get_by_label("Calendar address").input_value()
        assert new != old
        assert page.request.get(old).status == 404
        assert page.request.get(new).status == 200
        no_sideways_scroll(page)
        assert not errors and not csp_violations(page)
    finally:
        context.close()
