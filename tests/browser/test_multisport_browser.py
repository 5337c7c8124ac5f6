"""A multisport event in Chromium, at desktop and phone sizes: a real triathlon FIT file
(Garmin Forerunner 920XT, from the test corpus) imported, and each leg's page lists all
five legs together, each with its own load, with links between them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity
from fitcoach.web.formatting import number
from fitcoach.web.formatting import sport as sport_name
from tests.browser.conftest import LiveSite, csp_violations
from tests.browser.test_dashboard_browser import connect, no_sideways_scroll

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
TRIATHLON = (
    Path(__file__).resolve().parents[1]
    / "files/real/fit/garmin-forerunner-920xt__triathlon-chained-headers.fit"
)


@pytest.mark.parametrize("size", SIZES)
def test_the_legs_of_a_multisport_file_are_shown_together_each_with_its_load(
    page: Page, site: LiveSite, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    job = import_path(site.state.sessions, site.athlete_id(), TRIATHLON, Limits())
    assert job.status == "done" and job.imported == 5, job.problems
    with site.state.sessions() as session:
        legs = session.execute(
            select(Activity.id, Activity.sport_type, Activity.load)
            .where(Activity.multisport_group.is_not(None))
            .order_by(Activity.start_date)
        ).all()
    assert [sport for _, sport, _ in legs] == ["Swim", "Workout", "Ride", "Workout", "Run"]
    # Each leg is scored by itself (a transition's load is small, not zero).
    assert all(load is not None and load > 0 for _, _, load in legs), legs

    # The bike leg's page: the event's table lists the five legs in order.
    bike_id = legs[2][0]
    page.goto(f"{site.url}/activities/{bike_id}")
    event = page.locator("#multisport-event")
    expect(event.get_by_role("heading", level=2)).to_have_text("Multisport event: 5 legs")
    rows = event.locator("tbody tr")
    expect(rows).to_have_count(5)
    for index, (_, sport, load) in enumerate(legs):
        row = rows.nth(index)
        expect(row.locator('td[data-label="Sport"]')).to_have_text(sport_name(sport))
        expect(row.locator('td[data-label="Load"]')).to_have_text(number(load))
    expect(rows.nth(2).locator("[aria-current=page]")).to_contain_text("(this page)")
    together = number(sum(load for _, _, load in legs))
    expect(event).to_contain_text(f"together they count {together} TSS")
    no_sideways_scroll(page)

    # Another leg is one tap away, and its page shows the same event.
    rows.nth(4).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/activities/{legs[4][0]}$"))
    expect(page.locator("#event-legs tbody tr")).to_have_count(5)
    expect(page.locator("#event-legs [aria-current=page]")).to_have_count(1)
    no_sideways_scroll(page)

    # The activity list (the days around the race, among the Strava history): the legs
    # one under the other, each marked as its event's leg.
    with site.state.sessions() as session:
        day = session.scalar(select(Activity.start_date).where(Activity.id == legs[0][0]))
    assert day is not None
    since, until = (day - timedelta(days=1)).date(), (day + timedelta(days=1)).date()
    page.goto(f"{site.url}/activities?since={since}&until={until}")
    marks = page.locator("#activity-list .event-leg")
    expect(marks).to_have_count(5)
    expect(marks.first).to_have_text("leg 5 of 5 of a multisport event")  # newest first
    expect(marks.last).to_have_text("leg 1 of 5 of a multisport event")
    marks.nth(2).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/activities/{legs[0][0]}#multisport-event$"))
    page.wait_for_load_state("load")  # its stylesheet applied before the layout is measured
    expect(page.locator("#event-legs tbody tr").first.locator("[aria-current=page]")).to_have_count(
        1
    )
    no_sideways_scroll(page)
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []


@pytest.mark.parametrize("size", SIZES)
def test_the_dashboard_marks_the_legs_of_a_multisport_event(
    page: Page, site: LiveSite, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    # Connected, with the Strava history not fetched yet: the race is the newest news.
    page.goto(site.url)
    page.get_by_role("link", name="Connect with Strava").click()
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("button", name="Refresh from Strava")).to_be_visible()
    job = import_path(site.state.sessions, site.athlete_id(), TRIATHLON, Limits())
    assert job.status == "done" and job.imported == 5, job.problems
    with site.state.sessions() as session:
        first = session.scalar(
            select(Activity.id)
            .where(Activity.multisport_group.is_not(None))
            .order_by(Activity.start_date)
            .limit(1)
        )

    page.goto(site.url)
    recent = page.locator("table.activities tbody tr")
    expect(recent).to_have_count(5)
    marks = page.locator("table.activities .event-leg")
    expect(marks).to_have_count(5)
    expect(marks.first).to_have_text("leg 5 of 5 of a multisport event")  # newest first
    expect(marks.last).to_have_text("leg 1 of 5 of a multisport event")
    no_sideways_scroll(page)
    marks.last.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/activities/{first}#multisport-event$"))
    expect(page.locator("#event-legs tbody tr")).to_have_count(5)
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []
