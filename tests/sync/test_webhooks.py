from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.activities.repository import by_strava_id, upsert_api_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, transaction
from fitcoach.core.settings import load_settings
from fitcoach.models import (
    Activity,
    Athlete,
    Deletion,
    StravaConnection,
    SyncState,
    WebhookEvent,
)
from fitcoach.strava.client import StravaClient
from fitcoach.strava.repository import save_connection
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks.service import process_event
from fitcoach.web.deps import Services
from tests.conftest import recording_app, services_of

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SUBSCRIPTION = 4242
# fitcoach's athlete 70 is connected to Strava's athlete 7, whom the events name.
ATHLETE, STRAVA_ATHLETE = 70, 7
SECRET = "callback-secret-for-tests"
CALLBACK = f"/webhooks/strava/{SECRET}"


@pytest.fixture
def app_state(database_url: URL) -> Iterator[tuple[TestClient, Services, list[int]]]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        database_url=database_url.render_as_string(hide_password=False),
        strava_webhook_verify_token="let-me-in",
        strava_webhook_callback_secret=SECRET,
        strava_subscription_id=SUBSCRIPTION,
    )
    app, queue = recording_app(settings, clock=lambda: NOW)
    state = services_of(app)
    queued = queue.events
    with transaction(state.sessions) as session:
        session.add(Athlete(id=ATHLETE, firstname="Ana"))
        session.add(SyncState(athlete_id=ATHLETE))
        session.flush()
        save_connection(session, ATHLETE, {"id": STRAVA_ATHLETE, "firstname": "Ana"})
        upsert_api_activities(session, [row_from_strava(activity(55), ATHLETE)])
    with TestClient(app) as client:
        yield client, state, queued
    state.engine.dispose()


def activity(activity_id: int) -> dict[str, Any]:
    return {
        "id": activity_id,
        "athlete": {"id": 7},
        "name": "Lunch run",
        "sport_type": "Run",
        "start_date": "2026-11-20T12:00:00Z",
        "moving_time": 1800,
    }


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "object_type": "activity",
        "object_id": 56,
        "aspect_type": "create",
        "updates": {},
        "owner_id": 7,
        "subscription_id": SUBSCRIPTION,
        "event_time": int(NOW.timestamp()),
    }
    return {**base, **changes}


def context(state: Services) -> SyncContext:
    client = StravaClient("http://127.0.0.1:9", "1", "s")
    return SyncContext(
        state.sessions, key_ring([Fernet.generate_key().decode()]), client, lambda: NOW
    )


def test_validation_handshake_echoes_the_challenge(
    app_state: tuple[TestClient, Services, list[int]],
) -> None:
    client, _, _ = app_state
    params = {"hub.mode": "subscribe", "hub.challenge": "abc123", "hub.verify_token": "let-me-in"}
    response = client.get(CALLBACK, params=params)
    assert response.status_code == 200
    assert response.json() == {"hub.challenge": "abc123"}
    wrong = client.get(CALLBACK, params={**params, "hub.verify_token": "guess"})
    assert wrong.status_code == 403
    assert "verify_token" in wrong.json()["error"]["reason"]


def test_event_is_stored_once_and_queued(
    app_state: tuple[TestClient, Services, list[int]],
) -> None:
    client, state, queued = app_state
    for _ in range(3):  # Strava retries a delivery it thinks failed
        assert client.post(CALLBACK, json=event()).status_code == 200
    with state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert len(queued) == 1


def test_bad_or_foreign_events_change_nothing(
    app_state: tuple[TestClient, Services, list[int]],
) -> None:
    client, state, queued = app_state
    assert client.post(CALLBACK, content=b"{not json").status_code == 400
    assert client.post(CALLBACK, json=event(object_type="club")).status_code == 400
    foreign = client.post(CALLBACK, json=event(subscription_id=1))
    assert foreign.status_code == 200  # answered as accepted, and dropped
    with state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    assert queued == []


def test_create_marks_dirty_and_costs_nothing(
    app_state: tuple[TestClient, Services, list[int]],
) -> None:
    client, state, queued = app_state
    client.post(CALLBACK, json=event())
    # The client points at a closed port: any Strava call would fail the test.
    assert process_event(context(state), queued[0]) == ATHLETE
    assert process_event(context(state), queued[0]) is None  # redelivery does nothing
    with state.sessions() as session:
        sync_state = session.get(SyncState, ATHLETE)
        assert sync_state is not None and sync_state.dirty
        assert sync_state.dirty_since == NOW
        stored = session.get(WebhookEvent, queued[0])
        assert stored is not None and stored.processed_at == NOW and stored.attempts == 1


def test_a_delete_that_cannot_be_checked_changes_nothing(
    app_state: tuple[TestClient, Services, list[int]],
) -> None:
    """Athlete 7 has no tokens: nobody can ask Strava whether activity 55 is gone, and an
    unsigned event alone deletes nothing (the checked cases: test_webhook_checks.py)."""
    client, state, queued = app_state
    client.post(CALLBACK, json=event(object_id=55, aspect_type="delete"))
    process_event(context(state), queued[0])
    with state.sessions() as session:
        assert by_strava_id(session, ATHLETE, 55) is not None
        stored = session.get(WebhookEvent, queued[0])
        assert stored is not None and stored.processed_at is not None


def test_deauthorization_of_an_athlete_without_tokens_deletes_their_strava_data(
    app_state: tuple[TestClient, Services, list[int]],
) -> None:
    """fitcoach holds no tokens for athlete 7 (no call can be made): Strava's word stands
    for Strava's data only; the account and its own files stay."""
    client, state, queued = app_state
    deauth = event(
        object_type="athlete", object_id=7, aspect_type="update", updates={"authorized": "false"}
    )
    client.post(CALLBACK, json=deauth)
    process_event(context(state), queued[0])
    with state.sessions() as session:
        assert session.get(Athlete, ATHLETE) is not None
        for table in (Activity, SyncState, WebhookEvent, StravaConnection):
            assert session.scalar(select(func.count()).select_from(table)) == 0
        deletion = session.scalars(select(Deletion)).one()
        assert (deletion.athlete_id, deletion.activities_deleted) == (ATHLETE, 1)
        assert deletion.reason == "deauthorized on Strava"
