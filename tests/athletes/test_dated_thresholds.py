"""Dated thresholds: each activity is scored with the threshold in force on its day, so a
change from today leaves the past alone and a change from a chosen day rescoring only the
activities from that day on; the recompute runs in the background with its progress."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.activities.loads import recompute_requested
from fitcoach.athletes.thresholds import FROM_THE_START, DatedThresholds, Entry
from fitcoach.coach import AthleteThresholds
from fitcoach.models import Activity, Athlete, LoadRecompute, ThresholdEntry
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site

FORM = {"threshold_hr": "", "threshold_pace": "", "max_hr": "", "resting_hr": "", "sex": ""}


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(sqlite_url, simulator)


def save(site: Site, ftp: str, applies: str, day: str = "") -> Any:
    form = {**FORM, "ftp_watts": ftp, "applies": applies, "applies_date": day}
    return site.client.post(
        "/settings", data={**form, "csrf": site.csrf()}, headers=HTML, follow_redirects=False
    )


def loads(site: Site) -> dict[int, tuple[date, float | None, str | None]]:
    with site.state.sessions() as session:
        rows = session.execute(
            select(Activity.id, Activity.start_day, Activity.load, Activity.load_method).where(
                Activity.athlete_id == site.athlete_id
            )
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


def fitness(site: Site) -> dict[str, tuple[float, float]]:
    days = site.client.get("/api/fitness", params={"days": 3660}).json()["days"]
    return {day["date"]: (day["fitness"], day["load"]) for day in days}


def recompute(site: Site) -> int:
    """What the worker does with the queued recompute."""
    assert site.recomputed[-1] == site.athlete_id
    return recompute_requested(site.state.sessions, site.athlete_id, site.clock)


def test_a_change_from_today_keeps_the_past_and_from_a_day_rescores_from_it(site: Site) -> None:
    today = site.today  # "from today" is the athlete's date, where they are
    assert save(site, "256", "all").status_code == 303
    recompute(site)
    before, chart_before = loads(site), fitness(site)
    powered = sorted(
        (day, activity_id)
        for activity_id, (day, _, method) in before.items()
        if method is not None and "power" in method and day < today
    )
    assert len(powered) >= 4, "the simulated athlete rides with a power meter"

    # 256 → 270 from today: no earlier load moves, nor any day's fitness up to this morning.
    assert save(site, "270", "today").status_code == 303
    recompute(site)
    after, chart_after = loads(site), fitness(site)
    assert {k: v for k, v in after.items() if v[0] < today} == {
        k: v for k, v in before.items() if v[0] < today
    }
    assert chart_after[today.isoformat()][0] == chart_before[today.isoformat()][0]
    yesterday = (today - timedelta(days=1)).isoformat()
    assert chart_after[yesterday] == chart_before[yesterday]
    with site.state.sessions() as session:
        progress = session.get(LoadRecompute, site.athlete_id)
        assert progress is not None and progress.since == today
        assert progress.total == progress.done == sum(1 for v in after.values() if v[0] >= today)
        assert progress.finished_at is not None

    # 270 → 290 from a day in the middle of the rides: only the activities from that day on
    # are rescored (a higher FTP lowers a ride's power load).
    chosen = powered[len(powered) // 2][0]
    assert save(site, "290", "date", chosen.isoformat()).status_code == 303
    recompute(site)
    rescored = loads(site)
    for activity_id, (day, load, method) in rescored.items():
        if day < chosen:
            assert (day, load, method) == after[activity_id]
    for day, activity_id in powered:
        if day >= chosen:
            old_load, new_load = after[activity_id][1], rescored[activity_id][1]
            assert old_load is not None and new_load is not None and new_load < old_load
    progress_json = site.client.get("/settings/recompute").json()["recompute"]
    assert progress_json["since"] == chosen.isoformat() and progress_json["finished"]
    assert (
        progress_json["done"]
        == progress_json["total"]
        == sum(1 for v in rescored.values() if v[0] >= chosen)
    )
    page = site.client.get("/settings", headers=HTML).text
    assert f"{progress_json['done']} of {progress_json['total']} done" in page

    with site.state.sessions() as session:
        entries = session.scalars(
            select(ThresholdEntry)
            .where(ThresholdEntry.athlete_id == site.athlete_id)
            .order_by(ThresholdEntry.effective_from)
        ).all()
        # The later "from today" entry is replaced: 290 is the value in force today.
        assert [(e.effective_from, e.value) for e in entries] == [
            (FROM_THE_START, 256.0),
            (chosen, 290.0),
        ]


def test_a_bad_day_is_named_and_nothing_changes_nor_does_a_goal(site: Site) -> None:
    today = site.today
    before = loads(site)
    for day, message in (
        ((today + timedelta(days=1)).isoformat(), "today or an earlier day"),
        ("last spring", "YYYY-MM-DD"),
    ):
        answer = save(site, "270", "date", day)
        assert answer.status_code == 400 and message in answer.text
        assert 'id="applies_date-error"' in answer.text
    assert save(site, "270", "sometime").status_code == 400
    assert site.recomputed == [] and loads(site) == before
    with site.state.sessions() as session:
        assert session.scalars(select(ThresholdEntry)).all() == []
        assert session.get(LoadRecompute, site.athlete_id) is None

    # A change that moves no threshold (a goal) recomputes nothing.
    goal = (today + timedelta(days=30)).isoformat()
    with site.state.sessions() as session:
        athlete = session.get(Athlete, site.athlete_id)
        assert athlete is not None
        sex = athlete.sex or ""  # as Strava's profile gave it
    form = {**FORM, "sex": sex, "goal_event_name": "Etape", "goal_event_date": goal}
    answer = site.client.post("/settings", data={**form, "csrf": site.csrf()}, headers=HTML)
    assert "No threshold changed" in answer.text and site.recomputed == []


def test_the_entry_in_force_on_a_day() -> None:
    fallback = AthleteThresholds(ftp=200.0, threshold_hr=160.0, max_hr=190.0)
    dated = DatedThresholds(
        fallback,
        [
            Entry("ftp", 250.0, date(2025, 3, 1), "setting"),
            Entry("ftp", None, date(2025, 6, 1), "setting"),
            Entry("ftp", 270.0, date(2025, 9, 1), "setting"),
            Entry("threshold_hr", 170.0, date(2025, 1, 1), "setting"),
        ],
    )
    assert dated.on(date(2025, 2, 28)).ftp == 200.0  # before the first entry: the estimate
    assert dated.on(date(2025, 3, 1)).ftp == 250.0  # from its day on
    assert dated.on(date(2025, 7, 1)).ftp == 200.0  # an unset entry: the estimate again
    assert dated.on(date(2026, 1, 1)).ftp == 270.0
    assert dated.on(date(2026, 1, 1)).threshold_hr == 170.0
    assert dated.on(date(2026, 1, 1)).max_hr == 190.0  # not dated: as given
