"""An app wired to the simulator, with a budget on a fixed clock, and one athlete logged in.

The budget's clock is fixed so that its windows cannot roll over mid-test: every count
the tests assert lands in the same 15-minute and daily window, whenever the tests run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.core.settings import Settings, load_settings
from fitcoach.models import Athlete
from fitcoach.strava.budget import Budget, open_budget
from fitcoach.strava.client import StravaClient
from fitcoach.strava.gate import BudgetGate
from fitcoach.sync.context import SyncContext
from fitcoach.web.deps import Services
from tests.conftest import RunningServer, login_through_simulator, recording_app, services_of
from tests.monitoring.scrape import Samples

TOKEN = "scrape-me"
ADMIN_TOKEN = "operate-me"
SUBSCRIPTION = 4242
NOW = datetime(2026, 11, 25, 12, 5, tzinfo=UTC)


@dataclass
class Monitored:
    client: TestClient
    state: Services
    settings: Settings
    athlete_id: int
    simulator: RunningServer
    clock: list[datetime]
    strava_id: int  # the simulator's id of the athlete

    def scrape(self) -> Samples:
        response = self.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text
        return Samples(response.text)

    def context(self, **limits: int) -> SyncContext:
        """A sync context on the app's database, with a fresh client (no retry sleeps).

        ``limits`` replace settings (e.g. ``strava_athlete_short_limit=1``) for its budget.
        """
        client = strava(self.settings.model_copy(update=limits), self.state.engine, lambda _: None)
        return SyncContext(self.state.sessions, self.state.key_ring, client, lambda: self.clock[0])

    def sim(self, method: str, route: str, **body: Any) -> Any:
        response = httpx.request(
            method, f"{self.simulator.url}/_sim{route}", json=body or None, timeout=30
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def strava_calls(self) -> int:
        return int(self.sim("GET", "/usage")["total"])


def strava(settings: Settings, engine: Engine, sleep: Any = None) -> StravaClient:
    budget: Budget = open_budget(settings, engine=engine, clock=lambda: NOW)
    return StravaClient(
        settings.strava_base_url,
        settings.strava_client_id,
        settings.strava_client_secret,
        gate=BudgetGate(budget),
        **({"sleep": sleep} if sleep else {}),
    )


def monitored_settings(url: URL, simulator: RunningServer, **overrides: Any) -> Settings:
    return load_settings(
        database_url=url.render_as_string(hide_password=False),
        strava_base_url=simulator.url,
        strava_client_id="1",
        strava_client_secret="simulator-secret",
        public_url="http://testserver",
        metrics_token=TOKEN,
        strava_subscription_id=SUBSCRIPTION,
        **overrides,
    )


@pytest.fixture
def monitored(sqlite_url: URL, simulator: RunningServer) -> Iterator[Monitored]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    # A short history keeps the syncs quick; over 200 activities still takes two pages.
    made = httpx.post(
        f"{simulator.url}/_sim/athletes",
        json={"kind": "triathlete", "history_days": 200, "seed": 5},
        timeout=30,
    )
    first = made.json()["id"]
    # The first account of a fresh database is fitcoach's athlete 1: the operator here.
    settings = monitored_settings(
        sqlite_url, simulator, admin_athlete_ids="1", admin_token=ADMIN_TOKEN
    )
    budget_engine = make_engine(settings.database)
    clock = [NOW]
    app, _ = recording_app(settings, strava=strava(settings, budget_engine), clock=lambda: clock[0])
    state = services_of(app)
    with TestClient(app) as client:
        answer = login_through_simulator(client, athlete_id=str(first))
        assert client.get("/auth/strava/callback", params=answer).status_code == 200
        with state.sessions() as session:
            athlete_id = session.scalars(select(Athlete.id)).one()
        assert athlete_id == 1
        yield Monitored(client, state, settings, athlete_id, simulator, clock, first)
    state.engine.dispose()
    budget_engine.dispose()


def later(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)
