"""One number per quantity per day: the headline, the chart, its table, the coach's rules,
the narrator's grounding and ``GET /api/fitness`` agree on every day of a history, and in
every row form = fitness − fatigue."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.coach import performance_series, recommend
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.core.settings import load_settings
from fitcoach.dashboard.views import performance
from fitcoach.models import Activity, Athlete
from fitcoach.narrator.client import grounding_numbers
from tests.conftest import MovableClock, session_cookie

START = date(2025, 1, 1)
DAYS = 200


def history(seed: int) -> list[float]:
    rng = random.Random(seed)
    return [0.0 if rng.random() < 0.3 else round(rng.uniform(20, 180), 1) for _ in range(DAYS)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_headline_chart_table_and_coach_agree_on_every_day(seed: int) -> None:
    series = performance_series(history(seed), START)
    for offset in range(DAYS):
        today = START + timedelta(days=offset)
        shown = performance(series, today, "all", None)
        headline = shown.today
        i = shown.days.index(today)
        chart = shown.chart_data()
        row = next(row for row in shown.table_rows() if row[0] == today)
        for value, quantity in (
            (headline.ctl, "ctl"),
            (headline.atl, "atl"),
            (headline.tsb, "tsb"),
        ):
            assert chart[quantity][i] == pytest.approx(value, abs=0.05)
        assert row[1:] == (chart["ctl"][i], chart["atl"][i], chart["tsb"][i])
        # The convention: form is fitness − fatigue of the same row (to the rounding).
        assert chart["tsb"][i] == pytest.approx(chart["ctl"][i] - chart["atl"][i], abs=0.11)
        status = recommend(series, today=today)[-1].numbers
        assert status.get("ctl", headline.ctl) == pytest.approx(headline.ctl, abs=0.05)
        assert status.get("tsb", headline.tsb) == pytest.approx(headline.tsb, abs=0.05)
        grounding = grounding_numbers(series, today=today)
        assert grounding["ctl"] == pytest.approx(headline.ctl, abs=0.05)
        assert grounding["atl"] == pytest.approx(headline.atl, abs=0.05)
        assert grounding["tsb"] == pytest.approx(headline.tsb, abs=0.05)


@pytest.fixture
def fitness_api(sqlite_url: URL) -> Iterator[tuple[TestClient, list[float]]]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    loads = history(7)
    with transaction(session_factory(engine)) as session:
        session.add(Athlete(id=11, firstname="Ada", session_version=1))
        session.flush()
        session.add_all(
            Activity(
                id=1000 + i,
                athlete_id=11,
                name="Ride",
                sport_type="Ride",
                start_date=datetime.combine(START + timedelta(days=i), datetime.min.time(), UTC)
                + timedelta(hours=9),
                load=load,
                raw={},
            )
            for i, load in enumerate(loads)
            if load
        )
    engine.dispose()
    settings = load_settings(database_url=sqlite_url.render_as_string(hide_password=False))
    clock = MovableClock(
        datetime.combine(START + timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    )
    client = TestClient(create_app(settings, clock=clock))
    with client:
        # A signed session for athlete 11, as the login would make it.
        client.cookies.set(
            "fitcoach_session", session_cookie(settings.secret_key, 11, 1, clock.now)
        )
        yield client, loads


def test_the_fitness_api_gives_the_same_numbers(
    fitness_api: tuple[TestClient, list[float]],
) -> None:
    client, loads = fitness_api
    answer = client.get("/api/fitness", params={"days": DAYS})
    assert answer.status_code == 200, answer.text
    days = answer.json()["days"]
    assert len(days) == DAYS and days[0]["date"] == START.isoformat()
    shown = performance(
        performance_series(loads, START), START + timedelta(days=DAYS - 1), "all", None
    )
    for day in days:
        i = shown.days.index(date.fromisoformat(day["date"]))
        assert (day["fitness"], day["fatigue"], day["form"]) == pytest.approx(
            (shown.ctl[i], shown.atl[i], shown.tsb[i]), abs=0.05
        )
        assert day["load"] == pytest.approx(shown.load[i], abs=0.05)
    assert client.get("/api/fitness", params={"days": 0}).status_code == 422
    with TestClient(client.app) as stranger:
        assert stranger.get("/api/fitness").status_code == 401
