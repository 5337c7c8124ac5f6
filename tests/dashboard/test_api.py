"""The JSON API: activities from the database, freshness, manual refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.athletes.local_day import athlete_today
from fitcoach.core.clock import utc_now
from fitcoach.core.db import make_engine, transaction
from fitcoach.core.settings import load_settings
from fitcoach.models import Athlete, SyncState, TrainingPlan
from fitcoach.planning.schemas import GoalSettings, spread_hours
from fitcoach.planning.service import set_goal
from fitcoach.sync.activities import backfill_page
from fitcoach.sync.webhooks.repository import SUBSCRIPTION_ID, set_setting
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import store_event
from tests.conftest import (
    RunningServer,
    login_through_simulator,
    services_of,
    strava_id_of,
    sync_of,
)


def sim(simulator: RunningServer, method: str, path: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{path}", json=body or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def reads(simulator: RunningServer) -> int:
    usage = sim(simulator, "GET", "/usage")
    return int(usage["total"])


@pytest.fixture
def athlete(sqlite_url: URL, simulator: RunningServer) -> Iterator[tuple[TestClient, int]]:
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
    with TestClient(create_app(settings)) as client:
        answer = login_through_simulator(client)
        assert client.get("/auth/strava/callback", params=answer).status_code == 200
        state = services_of(client.app)
        with state.sessions() as session:
            athlete_id = session.scalars(select(Athlete.id)).one()
        while backfill_page(sync_of(state), athlete_id, 0).more:
            pass
        yield client, athlete_id


def strava_of(client: TestClient, athlete_id: int) -> int:
    return strava_id_of(services_of(client.app).sessions, athlete_id)


def csrf_of(client: TestClient) -> str:
    return client.get("/").text.split('name="csrf" value="')[1].split('"')[0]


def test_activities_need_a_session(athlete: tuple[TestClient, int]) -> None:
    client, athlete_id = athlete
    with TestClient(client.app) as stranger:
        response = stranger.get("/api/strava/activities", params={"athlete_id": athlete_id})
    assert response.status_code == 401
    assert response.json()["error"]["what_to_do"]


def test_activities_come_from_the_database_newest_first(
    athlete: tuple[TestClient, int], simulator: RunningServer
) -> None:
    client, athlete_id = athlete
    before = reads(simulator)
    seen: list[int] = []
    starts: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/strava/activities", params=params).json()
        seen += [activity["id"] for activity in page["activities"]]
        starts += [activity["start_date"] for activity in page["activities"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    truth = sim(simulator, "GET", f"/athletes/{strava_of(client, athlete_id)}")["activities"]
    assert len(seen) == len(set(seen)) == truth
    assert starts == sorted(starts, reverse=True)
    # Times are ISO 8601 in UTC with the offset written out, as isoformat() writes them.
    assert all(datetime.fromisoformat(start).utcoffset() == timedelta(0) for start in starts)
    assert all(start.endswith("+00:00") for start in starts)
    last = page["activities"][-1]
    assert last["strava_url"] == f"https://www.strava.com/activities/{last['strava_id']}"
    assert {"name", "sport_type", "start_date_local", "distance", "load"} <= set(last)
    assert page["freshness"]["refreshed"] is False
    assert reads(simulator) == before  # zero Strava calls for a clean athlete


def test_dirty_athlete_costs_one_call_then_none(
    athlete: tuple[TestClient, int], simulator: RunningServer
) -> None:
    client, athlete_id = athlete
    sim(
        simulator,
        "POST",
        f"/athletes/{strava_of(client, athlete_id)}/activities",
        generate={"name": "Fresh"},
    )
    state = services_of(client.app)
    with transaction(state.sessions) as session:
        sync_state = session.get(SyncState, athlete_id)
        assert sync_state is not None
        sync_state.dirty = True
        sync_state.dirty_since = sync_state.last_sync_at
        # A rolling plan last checked yesterday: the sync's news should reach it at once.
        rolling = GoalSettings(None, spread_hours(6), ("ride", "run"))
        set_goal(session, athlete_id, rolling, now=utc_now() - timedelta(days=1))
    before = reads(simulator)
    page = client.get("/api/strava/activities", params={"limit": 5}).json()
    assert page["freshness"]["refreshed"] is True
    assert page["activities"][0]["name"] == "Fresh"
    assert reads(simulator) == before + 1
    with state.sessions() as session:
        plan = session.get(TrainingPlan, athlete_id)
        assert plan is not None
        assert plan.checked_on == athlete_today(session, athlete_id, utc_now())
    client.get("/api/strava/activities", params={"limit": 5})
    assert reads(simulator) == before + 1


@pytest.mark.parametrize(
    ("params", "status"),
    [({"after": "yesterday"}, 400), ({"limit": 0}, 422), ({"limit": 500}, 422)],
)
def test_bad_parameters_are_clear_errors(
    athlete: tuple[TestClient, int], params: dict[str, Any], status: int
) -> None:
    client, _ = athlete
    response = client.get("/api/strava/activities", params=params)
    assert response.status_code == status
    assert response.json()["error"]["reason"]


def test_manual_refresh_needs_csrf_and_reports_progress(
    athlete: tuple[TestClient, int], simulator: RunningServer
) -> None:
    client, athlete_id = athlete
    assert client.post("/api/strava/sync").status_code == 403
    state = services_of(client.app)
    with transaction(state.sessions) as session:  # the backfill just ran: pretend it was long ago
        sync_state = session.get(SyncState, athlete_id)
        assert sync_state is not None and sync_state.last_sync_at is not None
        sync_state.last_sync_at = sync_state.last_sync_at.replace(year=2020)
    sim(
        simulator,
        "POST",
        f"/athletes/{strava_of(client, athlete_id)}/activities",
        generate={"name": "Pressed"},
    )
    csrf = csrf_of(client)
    response = client.post("/api/strava/sync", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 202
    job = response.json()["job"]
    progress = client.get(response.json()["progress_url"]).json()
    assert progress["status"] == "done" and progress["fetched"] >= 1
    again = client.post("/api/strava/sync", data={"csrf": csrf})
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
    with TestClient(client.app) as stranger:
        assert stranger.get(f"/api/strava/sync/{job}").status_code == 401
    assert client.get("/api/strava/sync/not-mine").status_code == 404


def test_refresh_without_news_is_free_until_pressed_again(
    athlete: tuple[TestClient, int], simulator: RunningServer
) -> None:
    """While push events flow, a press with nothing dirty is answered from the store; a
    second press asks Strava anyway (here: a webhook that never came)."""
    client, athlete_id = athlete
    state = services_of(client.app)
    now = state.clock()
    with transaction(state.sessions) as session:
        set_setting(session, SUBSCRIPTION_ID, "4242")
        store_event(session, push_event(strava_of(client, athlete_id), now), now)
        sync_state = session.get(SyncState, athlete_id)
        assert sync_state is not None
        sync_state.last_sync_at = now - timedelta(hours=2)
        sync_state.dirty = False
    sim(
        simulator,
        "POST",
        f"/athletes/{strava_of(client, athlete_id)}/activities",
        generate={"name": "Unannounced"},
    )
    csrf = csrf_of(client)
    before = reads(simulator)
    first = client.post("/api/strava/sync", headers={"X-CSRF-Token": csrf})
    assert first.status_code == 202
    progress = client.get(first.json()["progress_url"]).json()
    assert progress["status"] == "done" and progress["asked_strava"] is False
    assert "Press Refresh again" in progress["message"]
    assert reads(simulator) == before
    second = client.post("/api/strava/sync", headers={"X-CSRF-Token": csrf})
    progress = client.get(second.json()["progress_url"]).json()
    assert progress["status"] == "done" and progress["asked_strava"] is True
    assert progress["fetched"] >= 1
    assert reads(simulator) == before + 1
    names = [a["name"] for a in client.get("/api/strava/activities").json()["activities"]]
    assert "Unannounced" in names


def push_event(athlete_id: int, now: datetime) -> PushEvent:
    return PushEvent(
        object_type="activity",
        object_id=1,
        aspect_type="update",
        owner_id=athlete_id,
        subscription_id=4242,
        event_time=int(now.timestamp()),
        updates={"title": "seen before"},
    )
