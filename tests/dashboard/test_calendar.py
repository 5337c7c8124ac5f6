"""The calendar: the month's grid, each day's activities and load, week totals that add up
to the stored activities, the week's form as the fitness API gives it, planned workouts
beside done ones, and a month that does not parse refused by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.activities.queries import DayActivityRow
from fitcoach.coach import DailyLoads
from fitcoach.core.errors import BadInput
from fitcoach.dashboard.calendar import month_view, parse_month
from fitcoach.models import Activity
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(sqlite_url, simulator)


def row(activity_id: int, day: date, load: float, seconds: int = 3600) -> DayActivityRow:
    return DayActivityRow(
        activity_id, f"A{activity_id}", "Ride", day, seconds, 30000.0, load, "tss"
    )


def test_month_grid_runs_monday_to_sunday_and_carries_planned_workouts() -> None:
    first = date(2026, 2, 1)  # a Sunday: the grid starts on Monday 26 January
    done = [row(1, date(2026, 2, 3), 80.0), row(2, date(2026, 2, 3), 20.0, 1800)]
    history = DailyLoads.of([(date(2026, 2, 3), 100.0), (date(2026, 1, 1), 50.0)])
    planned = {date(2026, 2, 4): ["Tempo 2x20"]}
    view = month_view(first, date(2026, 2, 10), done, history, planned=planned)
    assert view.weeks[0].start == date(2026, 1, 26)
    assert view.weeks[-1].days[-1].day == date(2026, 3, 1)
    assert all(len(week.days) == 7 for week in view.weeks)
    week = view.weeks[1]  # 2 to 8 February
    assert [d.load for d in week.days][1] == 100.0
    assert week.moving_time_s == 5400 and week.distance_m == 60000.0 and week.load == 100.0
    assert week.days[2].planned == ("Tempo 2x20",)
    assert week.form is not None and week.form_on == date(2026, 2, 9)
    assert view.weeks[2].form_on == date(2026, 2, 10)  # the week in progress: this morning
    assert view.weeks[3].form is None  # a week still to come
    assert (view.previous, view.next, view.focus) == (
        date(2026, 1, 1),
        date(2026, 3, 1),
        date(2026, 2, 10),
    )
    assert month_view(date(2026, 3, 1), date(2026, 2, 10), [], history).focus == date(2026, 3, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026", "26-01", "march", "2026-00"])
def test_a_month_that_does_not_parse_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="'month'"):
        parse_month(text, date(2026, 1, 1))


def test_the_page_adds_the_weeks_up_from_the_stored_activities(site: Site) -> None:
    with site.state.sessions() as session:
        rows = list(session.scalars(select(Activity).where(Activity.athlete_id == site.athlete_id)))
    newest = max(a.start_day for a in rows)
    month = newest.replace(day=1)
    page = site.client.get("/calendar", params={"month": f"{month:%Y-%m}"}, headers=HTML)
    assert page.status_code == 200
    monday = month - timedelta(days=month.weekday())
    fitness = {
        day["date"]: day["form"]
        for day in site.client.get("/api/fitness", params={"days": 3660}).json()["days"]
    }
    today = site.today
    checked = 0
    last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    while monday <= last:
        week = [a for a in rows if monday <= a.start_day < monday + timedelta(days=7)]
        cell = page.text.split(f'data-week="{monday.isoformat()}"')[1].split("</dl>")[0]
        hours = sum(a.moving_time_s for a in week) / 3600
        km = sum(a.distance_m for a in week) / 1000
        load = sum(a.load or 0 for a in week)
        if monday > today:  # no totals shown as facts for a week still to come
            assert "Still to come." in cell and "<dd>" not in cell
            monday += timedelta(days=7)
            continue
        assert f"<dd>{hours:.1f} h</dd>" in cell
        assert f"<dd>{km:,.1f} km</dd>" in cell
        assert f"<dd>{load:,.0f}</dd>" in cell
        form_on = min(monday + timedelta(days=7), today)
        if form_on.isoformat() in fitness and monday <= today:
            shown = cell.split("<dt>Form</dt><dd>")[1].split("</dd>")[0].replace("−", "-")
            assert abs(float(shown) - fitness[form_on.isoformat()]) <= 0.55
            checked += 1
        monday += timedelta(days=7)
    assert checked >= 1
    for a in rows:
        if a.start_day.replace(day=1) == month:
            assert f'href="/activities/{a.id}"' in page.text


def test_a_bad_month_on_the_page_is_a_clear_error(site: Site) -> None:
    page = site.client.get("/calendar", params={"month": "2026-13"}, headers=HTML)
    assert page.status_code == 400
    assert "2026-03" in page.text
