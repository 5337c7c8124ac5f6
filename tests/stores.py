"""A migrated database with one athlete (``store``, ``any_store``), for the tests of
imports, retention and the narrator's policy; registered by the root conftest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, ActivityStreams, Athlete

ATHLETE = 4242


@dataclass
class Store:
    sessions: sessionmaker[Session]
    athlete_id: int
    strava_id: int = 0  # the simulator's id of the athlete, when connected

    def count(self, *where: object) -> int:
        with self.sessions() as session:
            query = (
                select(func.count())
                .select_from(Activity)
                .where(
                    Activity.athlete_id == self.athlete_id,
                    *where,  # type: ignore[arg-type]
                )
            )
            return int(session.scalar(query) or 0)

    def by_strava_id(self, strava_id: int) -> Activity:
        """The athlete's activity that has, or claims, this Strava id."""
        with self.sessions() as session:
            query = select(Activity).where(
                Activity.athlete_id == self.athlete_id,
                (Activity.strava_id == strava_id) | (Activity.claimed_strava_id == strava_id),
            )
            found = session.scalars(query).one()
            session.expunge(found)
            return found

    def streams_of(self, activity_id: int) -> dict[str, list[float]] | None:
        with self.sessions() as session:
            row = session.get(ActivityStreams, activity_id)
            return None if row is None else dict(row.streams)


def make_store(url: URL, athlete_id: int = ATHLETE) -> tuple[Store, Engine]:
    engine = make_engine(url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.add(Athlete(id=athlete_id, firstname="Ada", ftp_watts=250.0, threshold_hr=165))
    return Store(sessions, athlete_id), engine


@pytest.fixture
def store(sqlite_url: URL) -> Iterator[Store]:
    made, engine = make_store(sqlite_url)
    yield made
    engine.dispose()


@pytest.fixture
def any_store(database_url: URL) -> Iterator[Store]:
    """The same, once on SQLite and once on PostgreSQL."""
    made, engine = make_store(database_url)
    yield made
    engine.dispose()
