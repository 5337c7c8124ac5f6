"""An athlete with ten weeks of rides stored, fitcoach on a clock the test moves, logged in."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.core.settings import load_settings
from fitcoach.models import Activity, Athlete
from tests.conftest import MovableClock, session_cookie

ATHLETE = 21
STRANGER = 22
# A Monday: the plan starts with a whole week.
TODAY = date(2026, 3, 2)
HISTORY_DAYS = 70


def morning(day: date) -> datetime:
    return datetime.combine(day, time(6), UTC)


def seed(sessions: sessionmaker[Session], today: date = TODAY) -> None:
    """Two athletes; the first with ten weeks of rides (a seeded random history), an FTP,
    a threshold heart rate and a threshold pace."""
    rng = random.Random(5)
    with transaction(sessions) as session:
        for athlete_id in (ATHLETE, STRANGER):
            session.add(
                Athlete(
                    id=athlete_id,
                    firstname="Ada",
                    session_version=1,
                    ftp_watts=250.0,
                    threshold_hr=165.0,
                    threshold_pace_s_per_km=270.0,
                    max_hr=190.0,
                    resting_hr=50.0,
                )
            )
        session.flush()
        for i in range(HISTORY_DAYS):
            day = today - timedelta(days=HISTORY_DAYS - i)
            if rng.random() < 0.35:
                continue
            add_ride(session, ATHLETE, day, round(rng.uniform(40, 110), 1), 5000 + i)


def add_ride(
    session: Session, athlete_id: int, day: date, load: float, activity_id: int, minutes: int = 60
) -> None:
    session.add(
        Activity(
            id=activity_id,
            athlete_id=athlete_id,
            name="Ride",
            sport_type="Ride",
            start_date=datetime.combine(day, time(7), UTC),
            start_date_local=datetime.combine(day, time(7), UTC),
            moving_time_s=minutes * 60,
            elapsed_time_s=minutes * 60,
            load=load,
            raw={},
        )
    )


@dataclass
class PlanSite:
    client: TestClient
    clock: MovableClock
    sessions: sessionmaker[Session]

    def csrf(self) -> str:
        import re

        found = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/plan").text)
        assert found is not None
        return found.group(1)

    def post(self, path: str, **data: Any) -> Any:
        return self.client.post(path, data={"csrf": self.csrf(), **data}, follow_redirects=False)


GOAL_FORM = {
    "goal_name": "Spring 100",
    "goal_date": (TODAY + timedelta(weeks=12)).isoformat(),
    "goal_priority": "A",
    "goal_sport": "ride",
    "hours_mon": "0",
    "hours_tue": "1",
    "hours_wed": "1.5",
    "hours_thu": "1",
    "hours_fri": "0",
    "hours_sat": "3",
    "hours_sun": "2",
}


def plan_site(url: URL) -> Iterator[PlanSite]:
    engine = make_engine(url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    seed(sessions)
    settings = load_settings(
        database_url=url.render_as_string(hide_password=False), public_url="http://testserver"
    )
    clock = MovableClock(morning(TODAY))
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        client.cookies.set(
            "fitcoach_session", session_cookie(settings.secret_key, ATHLETE, 1, clock.now)
        )
        yield PlanSite(client, clock, sessions)
    engine.dispose()
