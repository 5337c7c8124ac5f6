"""Unsigned push events are checked with Strava before anything is deleted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.activities.repository import upsert_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, Athlete, Deletion
from fitcoach.strava.client import StravaClient
from fitcoach.strava.repository import load_tokens
from fitcoach.sync.activities import backfill_page, store_fetched
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import process_event, store_event
from tests.conftest import RunningServer, connect_simulator_athlete

SUBSCRIPTION = 4242


def control(simulator: RunningServer, method: str, path: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{path}", json=body or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def reads(simulator: RunningServer) -> int:
    return int(control(simulator, "GET", "/usage")["total"])


@pytest.fixture
def synced(sqlite_url: URL, simulator: RunningServer) -> Iterator[tuple[SyncContext, int]]:
    """An athlete connected with real simulator tokens, their history stored."""
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    client = StravaClient(simulator.url, "1", "simulator-secret", timeout_s=3.0)
    context = SyncContext(
        session_factory(engine), key_ring([Fernet.generate_key().decode()]), client
    )
    athlete_id = connect_simulator_athlete(simulator, context)
    while backfill_page(context, athlete_id, 0).more:
        pass
    yield context, athlete_id
    client.close()
    engine.dispose()


def handle(context: SyncContext, athlete_id: int, **fields: Any) -> None:
    body: dict[str, Any] = {
        "owner_id": athlete_id,
        "subscription_id": SUBSCRIPTION,
        "event_time": int(datetime.now(UTC).timestamp()),
        "updates": {},
        **fields,
    }
    with transaction(context.sessions) as session:
        event_id = store_event(session, PushEvent(**body), datetime.now(UTC))
    assert event_id is not None
    process_event(context, event_id)


def some_activity(context: SyncContext, athlete_id: int) -> int:
    with context.sessions() as session:
        row = session.query(Activity).filter_by(athlete_id=athlete_id).first()
        assert row is not None
        return row.id


def test_a_delete_strava_confirms_removes_the_activity(
    synced: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    context, athlete_id = synced
    activity_id = some_activity(context, athlete_id)
    control(simulator, "DELETE", f"/activities/{activity_id}")
    before = reads(simulator)
    handle(context, athlete_id, object_type="activity", object_id=activity_id, aspect_type="delete")
    assert reads(simulator) == before + 1  # the check
    with context.sessions() as session:
        assert session.get(Activity, activity_id) is None


def test_a_forged_delete_deletes_nothing(
    synced: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    context, athlete_id = synced
    activity_id = some_activity(context, athlete_id)
    handle(context, athlete_id, object_type="activity", object_id=activity_id, aspect_type="delete")
    with context.sessions() as session:
        assert session.get(Activity, activity_id) is not None


def test_a_delete_of_something_not_held_costs_nothing(
    synced: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    context, athlete_id = synced
    own_file = row_from_strava(
        {
            "id": -5,
            "athlete": {"id": athlete_id},
            "name": "From my watch",
            "sport_type": "Run",
            "start_date": "2026-11-20T07:00:00Z",
            "moving_time": 1800,
        },
        source="file",
    )
    with transaction(context.sessions) as session:
        upsert_activities(session, [own_file])
    before = reads(simulator)
    # The athlete's own file: its id is no Strava id, and no event can name it.
    with pytest.raises(ValidationError, match="greater than 0"):
        handle(context, athlete_id, object_type="activity", object_id=-5, aspect_type="delete")
    # An activity never held.
    handle(context, athlete_id, object_type="activity", object_id=987_654_321, aspect_type="delete")
    assert reads(simulator) == before
    with context.sessions() as session:
        assert session.get(Activity, -5) is not None


def test_a_deauthorization_strava_confirms_deletes_the_athlete(
    synced: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    context, athlete_id = synced
    with context.sessions() as session:
        tokens = load_tokens(session, context.key_ring, athlete_id)
    assert tokens is not None
    context.strava.deauthorize(tokens.access_token)  # the athlete revoked on Strava
    deauth = {"object_type": "athlete", "object_id": athlete_id, "aspect_type": "update"}
    handle(context, athlete_id, **deauth, updates={"authorized": "false"})
    with context.sessions() as session:
        assert session.get(Athlete, athlete_id) is None
        assert session.query(Deletion).one().reason == "deauthorized on Strava"


def test_a_forged_deauthorization_deletes_nothing(
    synced: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    context, athlete_id = synced
    with context.sessions() as session:
        held = session.query(Activity).filter_by(athlete_id=athlete_id).count()
    deauth = {"object_type": "athlete", "object_id": athlete_id, "aspect_type": "update"}
    handle(context, athlete_id, **deauth, updates={"authorized": "false"})
    with context.sessions() as session:
        athlete = session.get(Athlete, athlete_id)
        assert athlete is not None and athlete.connected
        assert session.query(Activity).filter_by(athlete_id=athlete_id).count() == held
        assert session.query(Deletion).count() == 0


def test_a_page_listed_before_a_delete_does_not_bring_the_activity_back(
    synced: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    """The race: a sync lists an activity, Strava deletes it, the delete event is handled
    (nothing held yet), then the sync stores its page."""
    context, athlete_id = synced
    created = control(simulator, "POST", f"/athletes/{athlete_id}/activities", generate={})
    activity_id = int(created["id"])
    with context.sessions() as session:
        tokens = load_tokens(session, context.key_ring, athlete_id)
    assert tokens is not None
    listed = context.strava.activities(tokens.access_token, priority=0, athlete_id=athlete_id)
    assert activity_id in {a.id for a in listed}
    control(simulator, "DELETE", f"/activities/{activity_id}")
    handle(context, athlete_id, object_type="activity", object_id=activity_id, aspect_type="delete")
    store_fetched(context, athlete_id, listed)
    with context.sessions() as session:
        assert session.get(Activity, activity_id) is None
        assert session.query(Activity).filter_by(athlete_id=athlete_id).count() > 0
