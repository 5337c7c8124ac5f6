""" "Today" on every page, API answer and assistant tool is the athlete's own date, as it is
for the plan: their newest activity says where they are. At 08:00 on Monday in Sydney UTC
still says Sunday; at 18:00 on Sunday in Los Angeles UTC already says Monday."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.core.db import transaction
from fitcoach.mcp.registry import TOOLS
from fitcoach.mcp.server import ServerSetup, call_tool
from fitcoach.mcp.tokens import Caller, Scope
from fitcoach.models import Activity, ThresholdEntry
from fitcoach.web.formatting import day as day_text
from tests.dashboard.dashboard_support import HTML
from tests.planning.plan_support import ATHLETE, TODAY, PlanSite, add_ride, plan_site

RIDE_ID = 9001
RIDE_LOAD = 77.0


@dataclass(frozen=True)
class Place:
    """Where the athlete's newest ride was recorded, and the moment the test looks from."""

    label: str
    ride_utc: datetime  # this morning's ride, in UTC
    offset: timedelta  # the zone's offset from UTC on these days
    now: datetime  # the moment of the test, in UTC
    today: date  # the athlete's date at ``now``


SYDNEY = Place(
    "(GMT+10:00) Australia/Sydney",
    datetime(2026, 3, 1, 19, tzinfo=UTC),  # 06:00 on Monday 2 March, summer time (+11)
    timedelta(hours=11),
    datetime(2026, 3, 1, 21, tzinfo=UTC),  # 08:00 on Monday there; Sunday in UTC
    TODAY,
)
LOS_ANGELES = Place(
    "(GMT-08:00) America/Los_Angeles",
    datetime(2026, 3, 1, 16, tzinfo=UTC),  # 08:00 on Sunday 1 March (-8)
    timedelta(hours=-8),
    datetime(2026, 3, 2, 2, tzinfo=UTC),  # 18:00 on Sunday there; Monday in UTC
    TODAY - timedelta(days=1),
)


@pytest.fixture(params=[SYDNEY, LOS_ANGELES], ids=["sydney", "los_angeles"])
def place(request: pytest.FixtureRequest) -> Place:
    place: Place = request.param
    assert place.now.date() != place.today  # the moment where the two dates differ
    return place


@pytest.fixture
def site(sqlite_url: URL, place: Place) -> Iterator[PlanSite]:
    for site in plan_site(sqlite_url):
        with transaction(site.sessions) as session:
            add_ride(session, ATHLETE, place.today, RIDE_LOAD, RIDE_ID)
            session.flush()
            ride = session.get(Activity, RIDE_ID)
            assert ride is not None
            ride.start_date = place.ride_utc
            ride.start_date_local = place.ride_utc + place.offset
            ride.start_day = place.today
            ride.timezone = place.label
        site.clock.now = place.now
        yield site


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_the_calendar_marks_the_athletes_today(site: PlanSite, place: Place) -> None:
    page = site.client.get("/calendar", headers=HTML)
    assert page.status_code == 200
    marked = re.findall(r'aria-label="([^"]*)" aria-current="date"', page.text)
    assert len(marked) == 1 and marked[0].startswith(f"{place.today:%A %-d %B}: ")


def test_the_dashboards_week_is_the_athletes(site: PlanSite, place: Place) -> None:
    page = site.client.get("/", headers=HTML)
    assert page.status_code == 200
    week = f"{day_text(_monday(place.today))} to {day_text(place.today)}"
    assert week in page.text


def test_the_fitness_api_ends_on_the_athletes_today(site: PlanSite, place: Place) -> None:
    days = site.client.get("/api/fitness", params={"days": 3}).json()["days"]
    assert [d["date"] for d in days][-1] == place.today.isoformat()
    assert days[-1]["load"] >= RIDE_LOAD  # this morning's ride is today's, not "the future"


def test_the_assistants_today_is_the_athletes(site: PlanSite, place: Place) -> None:
    setup = ServerSetup(site.sessions, site.clock, True, 1 << 20)
    caller = Caller(ATHLETE, Scope.READ)
    tools = {spec.name: spec for spec in TOOLS}
    fitness = call_tool(setup, tools["get_fitness_and_form"], caller, {})
    week = call_tool(setup, tools["get_week_summary"], caller, {})
    assert fitness.model_dump()["today"]["day"] == place.today
    assert week.model_dump()["start"] == _monday(place.today)
    assert week.model_dump()["total"]["load"] >= RIDE_LOAD


def test_a_threshold_from_today_starts_on_the_athletes_date(site: PlanSite, place: Place) -> None:
    form = {"ftp_watts": "280", "threshold_hr": "165", "max_hr": "190", "resting_hr": "50"}
    answer = site.post("/settings", **form, threshold_pace="4:30", applies="today")
    assert answer.status_code == 303
    with site.sessions() as session:
        starts = list(
            session.scalars(
                select(ThresholdEntry.effective_from).where(
                    ThresholdEntry.athlete_id == ATHLETE, ThresholdEntry.kind == "ftp"
                )
            )
        )
    assert place.today in starts and place.now.date() not in starts
    shown = site.client.get("/settings", headers=HTML).text
    assert f"from {place.today.day} {place.today:%B %Y} on" in shown


def test_a_goal_on_the_athletes_today_is_accepted(site: PlanSite, place: Place) -> None:
    """The settings form checks days against the athlete's today: their today is neither
    refused as past (west of UTC) nor a threshold's day from it refused as future (east)."""
    form = {
        "ftp_watts": "250",
        "threshold_hr": "165",
        "threshold_pace": "4:30",
        "max_hr": "190",
        "resting_hr": "50",
        "goal_event_name": "Local race",
        "goal_event_date": place.today.isoformat(),
        "goal_event_priority": "A",
        "applies": "date",
        "applies_date": place.today.isoformat(),
    }
    answer = site.post("/settings", **form)
    assert answer.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', answer.text)
