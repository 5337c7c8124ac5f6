"""The daily safety net: who the worker syncs by itself, with and without live webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Athlete, StravaConnection, SyncState
from fitcoach.strava.repository import save_connection
from fitcoach.sync.schedule import DAILY_SLOTS, due_for_daily_sync, webhooks_live
from fitcoach.sync.webhooks.repository import SUBSCRIPTION_ID, set_setting
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import store_event

# 10:15 UTC is slot 41: athletes 41, 137 and 233 have it, athlete 42 does not.
NOW = datetime(2026, 11, 25, 10, 15, tzinfo=UTC)
SLOT = 41


@pytest.fixture
def sessions(database_url: URL) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def athlete(
    sessions: sessionmaker[Session],
    athlete_id: int,
    last_sync: datetime | None,
    dirty: bool = False,
    connected: bool = True,
) -> None:
    with transaction(sessions) as session:
        # The daily slot goes by fitcoach's id: the athlete is made with the id wanted.
        session.add(Athlete(id=athlete_id, firstname=f"A{athlete_id}"))
        session.flush()
        save_connection(session, athlete_id, {"id": 9_000_000 + athlete_id})
        connection = session.get(StravaConnection, athlete_id)
        assert connection is not None
        connection.connected = connected
        state = session.get(SyncState, athlete_id) or SyncState(athlete_id=athlete_id)
        state.last_sync_at, state.dirty = last_sync, dirty
        session.add(state)


def event_received(sessions: sessionmaker[Session], at: datetime) -> None:
    with transaction(sessions) as session:
        set_setting(session, SUBSCRIPTION_ID, "4242")
        event = PushEvent(
            object_type="activity",
            object_id=int(at.timestamp()),
            aspect_type="create",
            owner_id=41,
            subscription_id=4242,
            event_time=int(at.timestamp()),
        )
        store_event(session, event, at)


def population(sessions: sessionmaker[Session]) -> None:
    day_old = NOW - timedelta(hours=30)
    athlete(sessions, SLOT, day_old)  # quiet, a day old
    athlete(sessions, SLOT + DAILY_SLOTS, day_old, dirty=True)  # news nobody looked at
    athlete(sessions, SLOT + 2 * DAILY_SLOTS, NOW - timedelta(hours=3), dirty=True)  # recent
    athlete(sessions, SLOT + 3 * DAILY_SLOTS, None)  # never synced
    athlete(sessions, SLOT + 4 * DAILY_SLOTS, day_old, connected=False)
    athlete(sessions, SLOT + 1, day_old, dirty=True)  # another slot


def test_without_webhooks_every_day_old_athlete_in_the_slot_is_synced(
    sessions: sessionmaker[Session],
) -> None:
    population(sessions)
    with sessions() as session:
        assert not webhooks_live(session, NOW)
    assert sorted(due_for_daily_sync(sessions, NOW)) == [
        SLOT,
        SLOT + DAILY_SLOTS,
        SLOT + 3 * DAILY_SLOTS,
    ]


def test_while_events_flow_only_unread_news_is_synced(sessions: sessionmaker[Session]) -> None:
    population(sessions)
    event_received(sessions, NOW - timedelta(hours=5))
    with sessions() as session:
        assert webhooks_live(session, NOW)
    assert due_for_daily_sync(sessions, NOW) == [SLOT + DAILY_SLOTS]


def test_a_subscription_silent_for_a_day_counts_as_broken(
    sessions: sessionmaker[Session],
) -> None:
    population(sessions)
    event_received(sessions, NOW - timedelta(hours=25))
    with sessions() as session:
        assert not webhooks_live(session, NOW)
        assert webhooks_live(session, NOW - timedelta(hours=2))
    assert SLOT in due_for_daily_sync(sessions, NOW)


def test_events_without_a_registered_subscription_do_not_count(
    sessions: sessionmaker[Session],
) -> None:
    event_received(sessions, NOW)
    with transaction(sessions) as session:
        set_setting(session, SUBSCRIPTION_ID, None)
    with sessions() as session:
        assert not webhooks_live(session, NOW)
