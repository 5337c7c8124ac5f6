"""The coach page in Chromium for an athlete whose data comes from Strava only: the same
fitness as the dashboard beside it (not zero), at desktop and phone sizes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, csp_violations
from tests.browser.test_dashboard_browser import connect, no_sideways_scroll

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.mark.parametrize("size", SIZES)
def test_a_strava_only_athlete_sees_the_dashboards_fitness_on_the_coach_page(
    page: Page, site: LiveSite, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    page.reload()
    headline = page.locator("#performance").get_by_text(re.compile(r"fitness \(CTL\) \d"))
    match = re.search(r"fitness \(CTL\) ([\d,]+)", headline.first.text_content() or "")
    assert match is not None
    fitness = float(match.group(1).replace(",", ""))
    assert fitness > 0  # the simulated athlete trains: zero would be missing data

    page.get_by_role("link", name="Ask the coach", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the coach")
    expect(page.get_by_role("heading", name="Your numbers this morning")).to_be_visible()
    ctl = page.locator("#grounding-title + p + dl div").filter(has_text=re.compile("ctl", re.I))
    shown = float((ctl.first.locator("dd").text_content() or "nan").replace(",", ""))
    assert abs(shown - fitness) <= 0.5  # the dashboard rounds to whole numbers
    expect(page.get_by_text("There are no activities in fitcoach yet")).to_have_count(0)
    no_sideways_scroll(page)
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []
