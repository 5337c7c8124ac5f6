from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import migrations
from fitcoach.activities.queries import activity_lines
from fitcoach.activities.repository import (
    by_strava_id,
    delete_api_activity,
    upsert_api_activities,
)
from fitcoach.activities.rows import BadActivityDocument, row_from_strava
from fitcoach.athletes.repository import fill_from_strava
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, Athlete
from tests.conftest import add_strava_athlete

STRAVA_ATHLETE = 7


@pytest.fixture
def sessions(database_url: URL) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        add_strava_athlete(session, STRAVA_ATHLETE, "Zoë", "Ødegård")
    yield factory
    engine.dispose()


def strava_activity(activity_id: int, name: str, day: int = 1) -> dict[str, Any]:
    return {
        "id": activity_id,
        "athlete": {"id": 7, "resource_state": 1},
        "name": name,
        "sport_type": "Ride",
        "type": "Ride",
        "start_date": f"2026-03-{day:02d}T06:30:00Z",
        "start_date_local": f"2026-03-{day:02d}T07:30:00Z",
        "timezone": "(GMT+01:00) Europe/Zurich",
        "moving_time": 3600,
        "elapsed_time": 3700,
        "distance": 30000.0,
        "total_elevation_gain": 250.0,
        "average_watts": 200.0,
        "weighted_average_watts": 215,
        "device_watts": True,
        "kilojoules": 720.0,
        "average_heartrate": 140.0,
        "max_heartrate": 171.0,
        "trainer": False,
        "commute": False,
        "manual": False,
        "private": False,
    }


def athlete_of(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalars(select(Athlete.id)).one())


def row(factory: sessionmaker[Session], document: dict[str, Any]) -> dict[str, Any]:
    return row_from_strava(document, athlete_of(factory))


def count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(Activity)) or 0)


def test_same_activity_twice_is_one_row(sessions: sessionmaker[Session]) -> None:
    ride = row(sessions, strava_activity(101, "Morning ride"))
    with transaction(sessions) as session:
        upsert_api_activities(session, [ride])
    with transaction(sessions) as session:
        upsert_api_activities(session, [ride])
    assert count(sessions) == 1


def test_changed_title_updates_the_row(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        upsert_api_activities(session, [row(sessions, strava_activity(101, "Morning ride"))])
    renamed = strava_activity(101, '<b>Tempo</b> & "hills"')
    with transaction(sessions) as session:
        upsert_api_activities(session, [row(sessions, renamed)])
    with sessions() as session:
        stored = by_strava_id(session, athlete_of(sessions), 101)
        assert stored is not None
        assert stored.name == '<b>Tempo</b> & "hills"'
        assert stored.raw["name"] == '<b>Tempo</b> & "hills"'
        assert stored.weighted_average_watts == 215.0
        assert stored.start_date == datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert count(sessions) == 1


def test_newest_first_and_delete(sessions: sessionmaker[Session]) -> None:
    athlete = athlete_of(sessions)
    rows = [row(sessions, strava_activity(100 + d, f"day {d}", d)) for d in (3, 1, 2)]
    with transaction(sessions) as session:
        upsert_api_activities(session, rows)
    with sessions() as session:
        names = [a.name for a in activity_lines(session, athlete, limit=2)]
        assert names == ["day 3", "day 2"]
    with transaction(sessions) as session:
        assert delete_api_activity(session, athlete, 103)
        assert not delete_api_activity(session, athlete + 1, 102)  # not another athlete's
    assert count(sessions) == 2


def test_bad_document_changes_nothing(sessions: sessionmaker[Session]) -> None:
    broken = strava_activity(101, "x")
    del broken["start_date"]
    with pytest.raises(BadActivityDocument, match="start_date"):
        row(sessions, broken)
    with pytest.raises(BadActivityDocument, match=r"athlete.id"):
        row(sessions, {"id": 5})
    assert count(sessions) == 0


def test_athlete_keeps_coaching_settings_on_refresh(sessions: sessionmaker[Session]) -> None:
    athlete_id = athlete_of(sessions)
    with transaction(sessions) as session:
        athlete = session.get(Athlete, athlete_id)
        assert athlete is not None
        athlete.ftp_watts = 250.0
        athlete.firstname = "Zoe"
    with transaction(sessions) as session:
        athlete = session.get(Athlete, athlete_id)
        assert athlete is not None
        profile = {"id": 7, "firstname": "Zoë", "lastname": "Ødegård", "weight": 60}
        fill_from_strava(athlete, profile)
    with sessions() as session:
        athlete = session.get(Athlete, athlete_id)
        assert athlete is not None
        # The athlete's own name and settings win over their Strava profile.
        assert (athlete.firstname, athlete.ftp_watts, athlete.weight_kg) == ("Zoe", 250.0, 60.0)
