"""Reading the charts in Chromium at desktop and phone sizes: the pointer (desktop) or a
tap (phone, touch) shows the date and every series' value, the same numbers as the
chart's data; the future up to a goal reads as a projection; explanations open by touch."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from fitcoach.core.db import transaction
from fitcoach.models import Athlete
from tests.browser.conftest import LiveSite
from tests.browser.test_dashboard_browser import connect, no_sideways_scroll

pytestmark = pytest.mark.browser

DAY = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d+) (\w{3}) (\d{4})( \(projection\))?: fitness "
    r"([\d.]+), fatigue ([\d.]+), form ([+−]?\d+)(?:, load (\d+))?$"
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture(params=["desktop", "phone"])
def screen(request: pytest.FixtureRequest, browser: Browser, site: LiveSite) -> Iterator[Page]:
    phone = request.param == "phone"
    context = browser.new_context(
        viewport={"width": 375, "height": 812} if phone else {"width": 1280, "height": 900},
        has_touch=phone,
        is_mobile=phone,
        locale="en-GB",
    )
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    opened.on("pageerror", lambda error: site.page_errors.append(str(error)))
    yield opened
    context.close()


def point_at(page: Page, chart: str, share: float) -> str:
    """Hover (mouse) or tap (touch) the chart ``share`` of the way across; the readout."""
    over = page.locator(f"{chart} .u-over")
    box = over.bounding_box()
    assert box is not None
    position = {"x": box["width"] * share, "y": box["height"] / 2}
    if page.evaluate("() => navigator.maxTouchPoints > 0"):
        over.tap(position=position)
    else:
        over.hover(position=position)
    readout = page.locator(f"{chart} ~ .chart-readout")
    expect(readout).not_to_contain_text("Point at the chart")
    return readout.inner_text().strip()


def test_the_fitness_and_activity_charts_read_out_by_pointer_and_tap(
    screen: Page, site: LiveSite
) -> None:
    page = screen
    connect(page, site)
    today = site.today()
    with transaction(site.state.sessions) as session:
        athlete = session.get(Athlete, site.athlete_id())
        assert athlete is not None
        athlete.goal_event_name = "Spring race"
        athlete.goal_event_date = today + timedelta(days=10)
        athlete.goal_event_priority = "B"
    page.reload()
    chart = "#performance .chart"
    expect(page.locator(f"{chart} canvas").first).to_be_visible()
    data = json.loads(page.locator("#performance script.chart-data").text_content() or "")
    measured = point_at(page, chart, 0.5)
    found = DAY.match(measured)
    assert found, measured
    day = date(int(found[3]), MONTHS.index(found[2]) + 1, int(found[1]))
    i = data["x"].index((day - date(1970, 1, 1)).days * 86_400)
    # The readout is the chart's own numbers for that day, with its load.
    assert not found[4] and found[8] is not None
    assert (float(found[5]), float(found[6])) == (data["ctl"][i], data["atl"][i])
    assert int(found[7].replace("−", "-")) == round(data["tsb"][i])
    # Past today, up to the goal, the days are a projection.
    ahead = DAY.match(point_at(page, chart, 0.995))
    assert ahead and ahead[4] == " (projection)" and ahead[8] is None, ahead
    page.locator("#performance").screenshot(path=f"/tmp/fitcoach-readout-{page.viewport_size}.png")
    # The explanations open by touch or click, not by a tooltip.
    page.get_by_text("What the lines, bars and shaded bands mean").click()
    expect(page.get_by_text("Optimal training (−30 to −10)")).to_be_visible()
    no_sideways_scroll(page)

    page.locator("table.activities tbody a").first.click()
    activity_chart = ".chart[data-chart=activity]"
    expect(page.locator(f"{activity_chart} canvas").first).to_be_visible()
    moment = point_at(page, activity_chart, 0.4)
    assert re.match(r"^\d+:\d\d: \w", moment) and "heart rate " in moment, moment
    no_sideways_scroll(page)
    assert site.page_errors == []
