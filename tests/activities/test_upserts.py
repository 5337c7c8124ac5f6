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
from fitcoach.activities.repository import delete_activities, upsert_activities
from fitcoach.activities.rows import BadActivityDocument, row_from_strava
from fitcoach.athletes.repository import upsert_athlete
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, Athlete


@pytest.fixture
def sessions(database_url: URL) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        upsert_athlete(session, {"id": 7, "firstname": "Zoë", "lastname": "Ødegård"})
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


def count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(Activity)) or 0)


def test_same_activity_twice_is_one_row(sessions: sessionmaker[Session]) -> None:
    row = row_from_strava(strava_activity(101, "Morning ride"))
    with transaction(sessions) as session:
        upsert_activities(session, [row])
    with transaction(sessions) as session:
        upsert_activities(session, [row])
    assert count(sessions) == 1


def test_changed_title_updates_the_row(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        upsert_activities(session, [row_from_strava(strava_activity(101, "Morning ride"))])
    renamed = strava_activity(101, '<b>Tempo</b> & "hills"')
    with transaction(sessions) as session:
        upsert_activities(session, [row_from_strava(renamed)])
    with sessions() as session:
        stored = session.get(Activity, 101)
        assert stored is not None
        assert stored.name == '<b>Tempo</b> & "hills"'
        assert stored.raw["name"] == '<b>Tempo</b> & "hills"'
        assert stored.weighted_average_watts == 215.0
        assert stored.start_date == datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert count(sessions) == 1


def test_newest_first_and_delete(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        upsert_activities(
            session, [row_from_strava(strava_activity(100 + d, f"day {d}", d)) for d in (3, 1, 2)]
        )
    with sessions() as session:
        names = [a.name for a in activity_lines(session, 7, limit=2)]
        assert names == ["day 3", "day 2"]
    with transaction(sessions) as session:
        assert delete_activities(session, [103]) == 1
    assert count(sessions) == 2


def test_bad_document_changes_nothing(sessions: sessionmaker[Session]) -> None:
    broken = strava_activity(101, "x")
    del broken["start_date"]
    with pytest.raises(BadActivityDocument, match="start_date"):
        row_from_strava(broken)
    with pytest.raises(BadActivityDocument, match=r"athlete.id"):
        row_from_strava({"id": 5})
    assert count(sessions) == 0


def test_athlete_keeps_coaching_settings_on_refresh(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        athlete = session.get(Athlete, 7)
        assert athlete is not None
        athlete.ftp_watts = 250.0
    with transaction(sessions) as session:
        upsert_athlete(session, {"id": 7, "firstname": "Zoe", "lastname": "O"})
    with sessions() as session:
        athlete = session.get(Athlete, 7)
        assert athlete is not None
        assert (athlete.firstname, athlete.ftp_watts) == ("Zoe", 250.0)
