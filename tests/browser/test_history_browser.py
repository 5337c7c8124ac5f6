"""The activity list and the calendar in Chromium, at desktop and phone sizes: filters and
paging; the month, its week totals, the athlete's own today marked, and moving around it
with the keyboard."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from fitcoach.core.db import transaction
from fitcoach.models import Activity, Athlete
from tests.browser.conftest import LiveSite, csp_violations
from tests.browser.test_dashboard_browser import SCREENSHOTS, connect, no_sideways_scroll

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.mark.parametrize("size", SIZES)
def test_the_list_filters_by_sport_and_pages_on(page: Page, site: LiveSite, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    page.get_by_role("link", name="Activities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activities")
    rows = page.locator("#activity-list tbody tr")
    expect(rows).to_have_count(50)
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOTS.format(f"activities-{size}"), full_page=size == "phone")

    sport = page.locator("#sport option").nth(1)
    chosen, shown = sport.get_attribute("value"), sport.text_content()
    assert chosen and shown
    page.get_by_label("Sport").select_option(chosen)
    page.get_by_label("Sort by").select_option("duration")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"sport={chosen}.*sort=duration"))
    sports = page.locator('#activity-list td[data-label="Sport"]').all_text_contents()
    assert sports and {text.strip() for text in sports} == {shown.strip()}
    expect(page.get_by_label("Sport")).to_have_value(chosen)

    # With every sport again, the next page continues the same list where the first ended.
    page.goto(f"{site.url}/activities")
    first_page = page.locator('#activity-list td[data-label="Activity"] a').evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"cursor="))
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    second_page = page.locator('#activity-list td[data-label="Activity"] a').evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert second_page and not set(first_page) & set(second_page)
    no_sideways_scroll(page)
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []


def away_from_utc(site: LiveSite) -> None:
    """Place the athlete, by their newest activity's zone, where the date is not UTC's now:
    12 hours west of UTC before 11:00 UTC (still yesterday there), 14 hours east after
    (already tomorrow); an hour's margin either side of the change."""
    west = site.state.clock().hour < 11
    label = "(GMT-12:00) Etc/GMT+12" if west else "(GMT+14:00) Pacific/Kiritimati"
    with transaction(site.state.sessions) as session:
        newest = session.scalars(
            select(Activity)
            .where(Activity.athlete_id == site.athlete_id())
            .order_by(Activity.start_date.desc())
            .limit(1)
        ).one()
        newest.timezone = label


@pytest.mark.parametrize("size", SIZES)
def test_the_calendar_shows_the_month_and_moves_by_keyboard(
    page: Page, site: LiveSite, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    away_from_utc(site)
    page.get_by_role("link", name="Calendar").click()
    today = site.today()
    assert today != site.state.clock().date()
    expect(page.get_by_role("heading", level=1)).to_have_text(today.strftime("%B %Y"))
    # The athlete's today is marked, for the eye and for a screen reader; no other day is.
    marked = page.locator(".cal-day.today")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-day", today.isoformat())
    expect(marked).to_have_attribute("aria-current", "date")
    expect(page.locator('[aria-current="date"]')).to_have_count(1)
    monday = today - timedelta(days=today.weekday())
    week = page.locator(f'.cal-total[data-week="{monday.isoformat()}"]')
    expect(week).to_contain_text("Time")
    expect(week).to_contain_text("Load")
    expect(week).to_contain_text("Form")
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOTS.format(f"calendar-{size}"), full_page=True)

    # The keyboard starts on today; arrows move by a day and a week, Page Down a month.
    start = page.locator('.cal-day[tabindex="0"]')
    expect(start).to_have_attribute("data-day", today.isoformat())
    start.focus()
    page.keyboard.press("ArrowLeft")
    focused = "() => document.activeElement.dataset.day"
    assert page.evaluate(focused) == (today - timedelta(days=1)).isoformat()
    first = today.replace(day=1)
    up = today - timedelta(days=8) >= first - timedelta(days=first.weekday())
    page.keyboard.press("ArrowUp" if up else "ArrowDown")
    moved = today - timedelta(days=8) if up else today + timedelta(days=6)
    assert page.evaluate(focused) == moved.isoformat()
    page.keyboard.press("PageDown")
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    expect(page).to_have_url(re.compile(rf"month={following:%Y-%m}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(following.strftime("%B %Y"))
    # Page Down loaded a new page: its keys work once its script has run.
    page.wait_for_load_state("load")
    page.locator('.cal-day[tabindex="0"]').focus()
    page.keyboard.press("PageUp")
    expect(page.get_by_role("heading", level=1)).to_have_text(today.strftime("%B %Y"))
    assert date.fromisoformat(page.locator(".cal-day").first.get_attribute("data-day") or "")
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []


@pytest.mark.parametrize("size", SIZES)
def test_the_curves_chart_and_its_table(page: Page, site: LiveSite, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    # An activity's page stores its streams, and with them its curves.
    page.goto(f"{site.url}/activities?sport=Ride")
    page.locator('#activity-list td[data-label="Activity"] a').first.click()
    expect(page.locator("[data-chart=activity] canvas").first).to_be_visible()
    page.get_by_role("link", name="Best efforts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Best efforts")
    expect(page.locator("[data-chart=curve] canvas").first).to_be_visible()
    expect(page.locator("[data-chart=curve] .u-legend")).to_contain_text("Last 90 days")
    rows = page.locator("#curve-table tbody tr")
    expect(rows.first.locator("th")).to_have_text("1 s")
    assert rows.count() >= 20  # 1 s up to at least the length of one ride
    expect(rows.first.locator("td").first).to_contain_text(" W")
    no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOTS.format(f"curves-{size}"), full_page=True)

    # Another curve and ranges through the form: heart rate, this year against all time.
    page.get_by_label("Curve", exact=True).select_option("heart_rate")
    page.get_by_label("Range", exact=True).select_option("ytd")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"curve=heart_rate.*range=ytd"))
    expect(page.locator("#curve-table tbody tr").first.locator("td").first).to_contain_text("bpm")
    expect(page.locator("[data-chart=curve] canvas").first).to_be_visible()
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []

    # Thresholds over time, from the settings page: the monthly FTP chart and its table.
    page.goto(f"{site.url}/settings")
    page.get_by_role("link", name="Thresholds over time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thresholds over time")
    expect(page.locator("[data-chart=ftp] canvas").first).to_be_visible()
    expect(page.locator("#ftp-table tbody tr").first.locator("td").first).to_contain_text(" W")
    no_sideways_scroll(page)
    assert csp_violations(page) == [] and site.page_errors == []


@pytest.mark.parametrize(("size", "decision"), [("desktop", "decline"), ("phone", "accept")])
def test_the_ftp_proposal_is_accepted_or_declined(
    page: Page, site: LiveSite, size: str, decision: str
) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    page.goto(f"{site.url}/activities?sport=Ride&sort=duration")
    page.locator('#activity-list td[data-label="Activity"] a').first.click()
    expect(page.locator("[data-chart=activity] canvas").first).to_be_visible()
    with transaction(site.state.sessions) as session:
        athlete = session.get(Athlete, site.athlete_id())
        assert athlete is not None
        athlete.ftp_watts = 999.0  # far from any estimate
    page.goto(f"{site.url}/settings/thresholds")
    proposal = page.locator("#proposal")
    expect(proposal).to_contain_text("999 W")
    if decision == "accept":
        page.get_by_role("button", name=re.compile(r"^Use \d+ W as my FTP$")).click()
        expect(page.locator("#decided")).to_contain_text("Your FTP is now")
    else:
        page.get_by_role("button", name="Keep 999 W").click()
        expect(page.locator("#decided")).to_contain_text("will not be proposed again")
    expect(page.locator("#proposal")).to_have_count(0)
    with site.state.sessions() as session:
        athlete = session.get(Athlete, site.athlete_id())
        assert athlete is not None
        assert (athlete.ftp_watts == 999.0) is (decision == "decline")
    no_sideways_scroll(page)
    assert csp_violations(page) == [] and site.page_errors == []
