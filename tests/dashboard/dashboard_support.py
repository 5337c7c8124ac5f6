"""Shared set-up for the page tests: fitcoach against the simulator, an athlete logged in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.activities.repository import by_strava_id
from fitcoach.athletes.local_day import athlete_today
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings
from fitcoach.models import Athlete
from fitcoach.sync.activities import backfill_page, incremental_sync
from fitcoach.sync.context import SyncContext
from fitcoach.web.deps import Services
from tests.conftest import (
    MovableClock,
    RecordingQueue,
    RunningServer,
    login_through_simulator,
    recording_app,
    services_of,
    strava_id_of,
    sync_context_of,
)

HTML = {"Accept": "text/html,application/xhtml+xml"}
TRICKY_TITLE = '<b>Tempo</b> & "hills"'


def sim(simulator: RunningServer, method: str, endpoint: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{endpoint}", json=body or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@dataclass
class Site:
    client: TestClient
    athlete_id: int
    simulator: RunningServer
    queue: RecordingQueue
    clock: MovableClock = field(default_factory=MovableClock)

    @property
    def state(self) -> Services:
        return services_of(self.client.app)

    @property
    def recomputed(self) -> list[int]:
        return self.queue.recomputes

    @property
    def today(self) -> date:
        """The athlete's today: the date where the simulator recorded their newest activity
        (the pages' today, not UTC's)."""
        with self.state.sessions() as session:
            return athlete_today(session, self.athlete_id, self.state.clock())

    def sync(self) -> SyncContext:
        return sync_context_of(self.client.app)

    @property
    def strava_id(self) -> int:
        """The simulator's id of the athlete."""
        return strava_id_of(self.state.sessions, self.athlete_id)

    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/settings").text)
        assert match is not None
        return match.group(1)

    def add_activity(self, name: str, workout: str = "ride_intervals") -> int:
        """A new activity on the simulator, pulled in as a sync would; fitcoach's id."""
        start = int(datetime.now(UTC).timestamp()) - 2 * 3600
        made = sim(
            self.simulator,
            "POST",
            f"/athletes/{self.strava_id}/activities",
            generate={"workout": workout, "name": name, "start": start, "duration": 3600},
        )
        incremental_sync(self.sync(), self.athlete_id, 3)
        with self.state.sessions() as session:
            activity = by_strava_id(session, self.athlete_id, int(made["id"]))
            assert activity is not None
            return activity.id


def settings_for(url: URL, simulator: RunningServer, **extra: Any) -> Any:
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return load_settings(
        database_url=url.render_as_string(hide_password=False),
        strava_base_url=simulator.url,
        strava_client_id="1",
        strava_client_secret="simulator-secret",
        public_url="http://testserver",
        **extra,
    )


def logged_in_site(
    url: URL, simulator: RunningServer, athlete_index: int = 0, **extra: Any
) -> Iterator[Site]:
    """fitcoach with one athlete connected through the simulator and fully backfilled."""
    clock = MovableClock()
    app, queue = recording_app(settings_for(url, simulator, **extra), clock=clock)
    with TestClient(app) as client:
        athletes = sim(simulator, "GET", "/athletes")
        answer = login_through_simulator(client, athlete_id=str(athletes[athlete_index]["id"]))
        assert client.get("/auth/strava/callback", params=answer).status_code == 200
        with services_of(app).sessions() as session:
            athlete_id = session.scalars(select(Athlete.id)).one()
        while backfill_page(sync_context_of(app), athlete_id, 0).more:
            pass
        yield Site(client, athlete_id, simulator, queue, clock)
