"""A person's path through fitcoach in Chromium: connect, dashboard, refresh, activity,
settings, disconnect; then the phone layout and the keyboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, csp_violations
from tests.dashboard.dashboard_support import TRICKY_TITLE, sim

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/fitcoach-{}.png"


def connect(page: Page, site: LiveSite) -> None:
    """Landing → Connect with Strava → the simulator's approval page → back, logged in."""
    page.goto(site.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your training, understood")
    page.get_by_role("link", name="Connect with Strava").click()
    expect(page).to_have_url(re.compile(re.escape(site.simulator.url) + "/oauth/authorize"))
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("button", name="Refresh from Strava")).to_be_visible()
    site.backfill()


def add_on_strava(site: LiveSite, name: str) -> None:
    start = int(datetime.now(UTC).timestamp()) - 3 * 3600
    sim(
        site.simulator,
        "POST",
        f"/athletes/{site.strava_id()}/activities",
        generate={"workout": "ride_intervals", "name": name, "start": start, "duration": 3600},
    )


WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  const over = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
         (el.className && typeof el.className === "string" ? "." + el.className : ""));
  return [document.documentElement.scrollWidth - width, over.slice(0, 5)];
}"""


def no_sideways_scroll(page: Page) -> None:
    # Measured once the page has loaded: a busy machine can be asked before its styles apply.
    page.wait_for_load_state("load")
    overflow, culprits = page.evaluate(WIDEST)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px: {culprits}"


def test_a_person_connects_reads_refreshes_and_disconnects(page: Page, site: LiveSite) -> None:
    connect(page, site)
    page.reload()
    athlete = sim(site.simulator, "GET", f"/athletes/{site.strava_id()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(athlete["firstname"])
    rows = page.locator("table.activities tbody tr")
    expect(rows).to_have_count(10)
    expect(page.locator("#backfill")).to_contain_text("whole Strava history")
    expect(page.get_by_role("link", name="View on Strava").first).to_have_attribute(
        "href", re.compile(r"^https://www\.strava\.com/activities/\d+$")
    )
    expect(page.locator("#performance canvas").first).to_be_visible()
    expect(page.locator("#performance .u-legend")).to_contain_text("Fitness (CTL)")
    page.screenshot(path=SCREENSHOTS.format("dashboard-desktop"), full_page=True)

    # Another range, swapped in by htmx: the address follows, the chart is drawn again.
    page.get_by_role("link", name="1 year").click()
    expect(page.get_by_role("link", name="1 year")).to_have_attribute("aria-current", "true")
    expect(page).to_have_url(re.compile(r"\?range=1y$"))
    expect(page.locator("#performance canvas").first).to_be_visible()
    # Back and Forward show the chart of that address, drawn again.
    page.go_back()
    expect(page.get_by_role("link", name="90 days")).to_have_attribute("aria-current", "true")
    expect(page.locator("#performance canvas").first).to_be_visible()
    page.go_forward()
    expect(page.get_by_role("link", name="1 year")).to_have_attribute("aria-current", "true")
    expect(page.locator("#performance canvas").first).to_be_visible()

    # Refresh: a new activity arrives without a reload; the progress is visible meanwhile.
    site.age_last_sync(hours=2)
    add_on_strava(site, TRICKY_TITLE)
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_role("button", name="Refresh from Strava").click()
    status = page.locator("#refresh-status")
    expect(status.locator("progress")).to_be_visible()
    expect(page.get_by_role("button", name="Refresh from Strava")).to_be_disabled()
    # The incremental sync re-reads the last hour as well: the newest activity comes again.
    expect(status).to_contain_text(re.compile(r"Up to date: \d+ new or changed"), timeout=15_000)
    expect(page.get_by_role("button", name="Refresh from Strava")).to_be_enabled()
    assert page.evaluate("() => window.notReloaded") is True
    expect(page.locator("#freshness")).to_contain_text("Synced with Strava just now")
    new_row = page.get_by_role("link", name=TRICKY_TITLE, exact=True)
    expect(new_row).to_be_visible()
    expect(page.locator("#performance canvas").first).to_be_visible()
    # The range chosen before the refresh is kept by the refreshed parts.
    expect(page.get_by_role("link", name="1 year")).to_have_attribute("aria-current", "true")

    # Pressed again at once: refused politely, in words.
    page.get_by_role("button", name="Refresh from Strava").click()
    expect(status).to_contain_text("try again in")

    # The activity's title is text, not markup, here and on its page.
    new_row.click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(TRICKY_TITLE)
    assert heading.locator("b").count() == 0
    assert TRICKY_TITLE in page.title()
    expect(page.get_by_role("link", name="View on Strava")).to_be_visible()
    expect(page.locator("[data-chart=activity] canvas").first).to_be_visible()
    expect(page.get_by_role("heading", name="Power zones")).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format("activity"), full_page=True)

    # Settings: a bad value is named and nothing is saved; then a good one is.
    page.get_by_role("link", name="Settings").click()
    ftp = page.get_by_label("FTP (watts)")
    ftp.fill("lots")
    page.get_by_label("Threshold run pace (min:s per km)").fill("4:30")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(ftp).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#ftp_watts-error")).to_contain_text("Enter a number")
    assert site.recomputed == []
    ftp.fill("265")
    page.get_by_label("Name").fill("Marmotte <2025>")
    page.get_by_label("Date").fill((datetime.now(UTC).date() + timedelta(days=20)).isoformat())
    page.get_by_label("Priority").select_option("B")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("being recomputed")
    expect(ftp).to_have_value("265")
    expect(page.locator("dl.thresholds")).to_contain_text("265 W")
    assert site.recomputed == [site.athlete_id()]
    page.screenshot(path=SCREENSHOTS.format("settings"), full_page=True)

    # The goal is on the dashboard: in words, in the coach's taper plan, and on the chart.
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#performance .today")).to_contain_text("Goal: Marmotte <2025> (B event)")
    expect(page.get_by_role("heading", name="Marmotte <2025>: taper plan")).to_be_visible()
    expect(page.locator("#performance canvas").first).to_be_visible()
    page.screenshot(path=SCREENSHOTS.format("dashboard-goal"), full_page=True)

    # Disconnect: a confirmation says what goes and what stays; then access is revoked
    # and what came from Strava deleted, while the account stays signed in.
    page.goto(f"{site.url}/auth/strava/disconnect")
    expect(page.get_by_role("heading", level=1)).to_have_text("Disconnect Strava?")
    expect(page.get_by_text("What stays")).to_be_visible()
    page.get_by_role("button", name="Disconnect Strava").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Strava disconnected")
    page.goto(site.url)
    expect(page.get_by_role("link", name="Connect Strava")).to_be_visible()

    assert site.outside_requests == []
    assert site.page_errors == []


def test_a_refresh_without_news_is_free_and_a_second_press_asks_strava(
    page: Page, site: LiveSite
) -> None:
    connect(page, site)
    site.webhooks_flowing()
    site.age_last_sync(hours=2)
    add_on_strava(site, "The ride no webhook announced")
    page.reload()
    button = page.get_by_role("button", name="Refresh from Strava")
    status = page.locator("#refresh-status")
    button.click()
    expect(status).to_contain_text("Strava has sent no news since", timeout=15_000)
    expect(status).to_contain_text("Press Refresh again to ask Strava directly")
    expect(page.get_by_role("link", name="The ride no webhook announced")).to_have_count(0)
    expect(button).to_be_enabled()
    button.click()
    expect(status).to_contain_text(re.compile(r"Up to date: \d+ new or changed"), timeout=15_000)
    expect(page.get_by_role("link", name="The ride no webhook announced")).to_be_visible()
    assert site.outside_requests == []
    assert site.page_errors == []


def test_phone_layout_and_keyboard(page: Page, site: LiveSite) -> None:
    connect(page, site)
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.locator("#performance canvas").first).to_be_visible()
    no_sideways_scroll(page)
    box = page.locator("#performance canvas").first.bounding_box()
    assert box is not None and box["width"] <= 375
    page.screenshot(path=SCREENSHOTS.format("dashboard-phone"))
    page.locator("#recent-title").scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS.format("dashboard-phone-activities"))
    first_activity = page.locator("table.activities tbody a").first
    first_activity.click()
    expect(page.get_by_role("link", name="View on Strava")).to_be_visible()
    no_sideways_scroll(page)
    page.goto(f"{site.url}/settings")
    no_sideways_scroll(page)

    # From the top of the dashboard, Tab reaches the skip link, the navigation, the
    # Refresh button and the chart's ranges, in that order; Enter on a range works.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url)
    reached: list[str] = []
    for _ in range(20):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => (document.activeElement.textContent || '').trim()"))
        if reached[-1] == "6 months":
            break
    assert reached[0] == "Skip to content"
    order = ["Dashboard", "Settings", "Log out", "Refresh from Strava", "90 days", "6 months"]
    positions = [reached.index(name) for name in order]
    assert positions == sorted(positions), reached
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="6 months")).to_have_attribute("aria-current", "true")
    expect(page.locator("#performance canvas").first).to_be_visible()

    # The skip link moves focus to the main content.
    page.goto(site.url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    assert site.outside_requests == []
    assert site.page_errors == []


def test_every_page_keeps_to_the_content_security_policy(page: Page, site: LiveSite) -> None:
    """The pages work with scripts and styles from fitcoach's own files only: charts drawn,
    htmx swaps, bars sized, forms posted; the browser refused nothing."""
    connect(page, site)
    answer = page.reload()
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    expect(page.locator("#performance canvas").first).to_be_visible()
    bar = page.locator(".bars li.current svg.bar rect")
    assert bar.bounding_box() is not None and bar.bounding_box()["width"] > 0  # type: ignore[index]
    page.get_by_role("link", name="1 year").click()  # an htmx swap
    expect(page.locator("#performance canvas").first).to_be_visible()
    violations = csp_violations(page)
    page.locator("table.activities tbody a").first.click()
    expect(page.get_by_role("link", name="View on Strava")).to_be_visible()
    violations += csp_violations(page)
    for path in ("/settings", "/coach", "/import"):
        page.goto(f"{site.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        violations += csp_violations(page)
    assert violations == []

    # "Sign out everywhere" on the settings page: this browser is logged out too.
    page.goto(f"{site.url}/settings")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signed out everywhere")
    page.goto(site.url)
    expect(page.get_by_role("link", name="Connect with Strava")).to_be_visible()
    assert csp_violations(page) == []
    assert site.outside_requests == []
    assert site.page_errors == []
