"""Athlete A's session can neither read nor sync athlete B's data, by any parameter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings
from fitcoach.models import Activity, OAuthToken
from fitcoach.strava.repository import athlete_of_strava
from fitcoach.sync.activities import backfill_page
from tests.conftest import (
    MovableClock,
    RunningServer,
    login_through_simulator,
    services_of,
    sync_of,
)

# Moved by the test that needs time to pass; every fixture starts it at the real time.
CLOCK = MovableClock()


@pytest.fixture
def two_athletes(
    sqlite_url: URL, simulator: RunningServer
) -> Iterator[tuple[TestClient, TestClient, int, int]]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        database_url=sqlite_url.render_as_string(hide_password=False),
        strava_base_url=simulator.url,
        strava_client_id="1",
        strava_client_secret="simulator-secret",
        public_url="http://testserver",
    )
    CLOCK.now = datetime.now(UTC)
    app = create_app(settings, clock=CLOCK)
    state = services_of(app)
    ids = [int(a["id"]) for a in httpx.get(f"{simulator.url}/_sim/athletes").json()][:2]
    with TestClient(app) as alice, TestClient(app) as bob:
        accounts = []
        for client, strava_id in ((alice, ids[0]), (bob, ids[1])):
            answer = login_through_simulator(client, athlete_id=str(strava_id))
            assert client.get("/auth/strava/callback", params=answer).status_code == 200
            with state.sessions() as session:
                athlete_id = athlete_of_strava(session, strava_id)
            assert athlete_id is not None
            accounts.append(athlete_id)
            while backfill_page(sync_of(state), athlete_id, 0).more:
                pass
        yield alice, bob, accounts[0], accounts[1]


def test_activities_are_only_ever_the_sessions_own(
    two_athletes: tuple[TestClient, TestClient, int, int],
) -> None:
    alice, _, alice_id, bob_id = two_athletes
    state = services_of(alice.app)
    with state.sessions() as session:
        bobs = set(session.scalars(select(Activity.id).where(Activity.athlete_id == bob_id)))
        alices = set(session.scalars(select(Activity.id).where(Activity.athlete_id == alice_id)))
        token = session.get(OAuthToken, bob_id)
    assert bobs and token is not None
    for params in (
        {"athlete_id": bob_id},
        {"athlete": bob_id, "owner_id": bob_id, "user_id": bob_id},
        {"access_token": "anything", "email": "bob@example.com"},
    ):
        page = alice.get("/api/strava/activities", params={"limit": 200, **params})
        assert page.status_code == 200
        seen = {activity["id"] for activity in page.json()["activities"]}
        assert seen and seen <= alices and not seen & bobs
    headers = {"X-Athlete-Id": str(bob_id), "Authorization": "Bearer forged"}
    page = alice.get("/api/strava/activities", params={"limit": 200}, headers=headers)
    assert not {activity["id"] for activity in page.json()["activities"]} & bobs


def test_a_sync_cannot_be_started_or_watched_for_someone_else(
    two_athletes: tuple[TestClient, TestClient, int, int],
) -> None:
    alice, bob, _, bob_id = two_athletes
    bob_csrf = bob.get("/").text.split('name="csrf" value="')[1].split('"')[0]
    # Bob's CSRF token does not work in Alice's session, nor does naming Bob.
    refused = alice.post("/api/strava/sync", data={"csrf": bob_csrf, "athlete_id": str(bob_id)})
    assert refused.status_code == 403
    assert alice.post("/api/strava/sync").status_code == 403
    # After the backfill's minute between refreshes (within the logins' lifetime).
    CLOCK.now += timedelta(hours=1)
    job = bob.post("/api/strava/sync", headers={"X-CSRF-Token": bob_csrf})
    assert job.status_code == 202
    assert alice.get(job.json()["progress_url"]).status_code == 404
