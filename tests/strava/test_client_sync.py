"""The Strava client, token refresh and activity sync against the simulator."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory
from fitcoach.models import Activity, StravaConnection, SyncState
from fitcoach.strava.access import AthleteDisconnected, access_token
from fitcoach.strava.client import StravaClient
from fitcoach.strava.errors import RateLimited, Unavailable
from fitcoach.strava.models import TokenResponse
from fitcoach.strava.repository import load_tokens
from fitcoach.sync.activities import backfill_page, incremental_sync
from fitcoach.sync.context import SyncContext
from tests.conftest import RunningServer, connect_simulator_athlete, strava_id_of


class CountingClient(StravaClient):
    """The real client, counting refreshes so a race can be judged."""

    refreshes = 0

    def refresh(self, refresh_token: str) -> TokenResponse:
        type(self).refreshes += 1
        return super().refresh(refresh_token)


def control(simulator: RunningServer, method: str, path: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{path}", json=body or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.fixture
def setup(
    sqlite_url: URL, simulator: RunningServer
) -> Iterator[tuple[SyncContext, int, list[float]]]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    sleeps: list[float] = []
    CountingClient.refreshes = 0
    client = CountingClient(
        simulator.url, "1", "simulator-secret", sleep=sleeps.append, timeout_s=3.0
    )
    context = SyncContext(
        session_factory(engine), key_ring([Fernet.generate_key().decode()]), client
    )
    athlete_id = connect_simulator_athlete(simulator, context)
    yield context, athlete_id, sleeps
    client.close()
    engine.dispose()


def sim_now(simulator: RunningServer) -> datetime:
    return datetime.fromtimestamp(control(simulator, "GET", "/usage")["now"], UTC)


def test_refresh_race_makes_one_refresh(
    setup: tuple[SyncContext, int, list[float]], simulator: RunningServer
) -> None:
    context, athlete_id, _ = setup
    control(simulator, "POST", "/clock", advance=5.5 * 3600)  # 30 minutes of life left
    now = sim_now(simulator)
    with context.sessions() as session:
        before = load_tokens(session, context.key_ring, athlete_id)
    tokens: list[str] = []
    barrier = threading.Barrier(10)

    def need_token() -> None:
        barrier.wait()
        tokens.append(
            access_token(
                context.sessions, context.key_ring, context.strava, athlete_id, lambda: now
            )
        )

    threads = [threading.Thread(target=need_token) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CountingClient.refreshes == 1
    assert len(set(tokens)) == 1 and len(tokens) == 10
    with context.sessions() as session:
        after = load_tokens(session, context.key_ring, athlete_id)
    assert before is not None and after is not None
    assert after.access_token == tokens[0] != before.access_token
    assert after.refresh_token != before.refresh_token  # the rotated one is kept
    assert context.strava.athlete(after.access_token, priority=0, athlete_id=athlete_id)


def test_revoked_refresh_token_disconnects_cleanly(
    setup: tuple[SyncContext, int, list[float]], simulator: RunningServer
) -> None:
    context, athlete_id, _ = setup
    with context.sessions() as session:
        tokens = load_tokens(session, context.key_ring, athlete_id)
    assert tokens is not None
    context.strava.deauthorize(tokens.access_token)  # as if the athlete revoked on Strava
    control(simulator, "POST", "/clock", advance=5.5 * 3600)
    now = sim_now(simulator)
    with pytest.raises(AthleteDisconnected, match="reconnect"):
        access_token(context.sessions, context.key_ring, context.strava, athlete_id, lambda: now)
    with context.sessions() as session:
        connection = session.get(StravaConnection, athlete_id)
        assert connection is not None and not connection.connected
        assert connection.disconnected_reason and "refused" in connection.disconnected_reason
        assert load_tokens(session, context.key_ring, athlete_id) is None


def stored(context: SyncContext, athlete_id: int) -> int:
    with context.sessions() as session:
        query = select(func.count()).where(Activity.athlete_id == athlete_id)
        return int(session.scalar(query) or 0)


def test_backfill_then_incremental_matches_strava(
    setup: tuple[SyncContext, int, list[float]], simulator: RunningServer
) -> None:
    context, athlete_id, _ = setup
    strava_athlete = strava_id_of(context.sessions, athlete_id)
    truth = control(simulator, "GET", f"/athletes/{strava_athlete}")["activities"]
    pages = 0
    while True:
        result = backfill_page(context, athlete_id, priority=3)
        pages += 1
        if not result.more:
            break
    assert stored(context, athlete_id) == truth
    assert pages == truth // 200 + 1
    with context.sessions() as session:
        methods = session.scalars(select(Activity.load_method)).all()
        loads = session.scalars(select(Activity.load)).all()
    assert None not in methods and all(load is not None and load >= 0 for load in loads)
    assert {"power_stream"}.isdisjoint(methods)  # summaries only: no streams were fetched
    with context.sessions() as session:
        state = session.get(SyncState, athlete_id)
        assert state is not None and state.backfill_done and state.backfill_fetched == truth

    control(simulator, "POST", f"/athletes/{strava_athlete}/activities", generate={"name": "New"})
    used = control(simulator, "GET", "/usage")
    result = incremental_sync(context, athlete_id, priority=0)
    assert result.calls == 1 and result.fetched >= 1
    assert stored(context, athlete_id) == truth + 1
    after = control(simulator, "GET", "/usage")
    assert after != used
    # Syncing again stores nothing twice.
    incremental_sync(context, athlete_id, priority=0)
    assert stored(context, athlete_id) == truth + 1


def test_transient_faults_are_retried_a_bounded_number_of_times(
    setup: tuple[SyncContext, int, list[float]], simulator: RunningServer
) -> None:
    context, athlete_id, sleeps = setup
    with context.sessions() as session:
        tokens = load_tokens(session, context.key_ring, athlete_id)
    assert tokens is not None
    token = tokens.access_token

    def listing() -> int:
        return len(context.strava.activities(token, priority=0, athlete_id=athlete_id))

    control(simulator, "POST", "/faults", kind="server_error", count=2)
    assert listing() > 0  # third attempt succeeds
    assert len(sleeps) == 2

    sleeps.clear()
    control(simulator, "POST", "/faults", kind="unavailable", count=1, retry_after=3)
    assert listing() > 0
    assert sleeps == [3.0]  # Strava's Retry-After, not our backoff

    for kind, extra in (
        ("server_error", {}),
        ("malformed_json", {}),
        ("truncated", {}),
        ("timeout", {"delay": 4.0}),
    ):
        control(simulator, "POST", "/faults", kind=kind, count=3, **extra)
        with pytest.raises(Unavailable, match="after 3 attempts"):
            listing()

    control(simulator, "POST", "/faults", kind="rate_limited", count=1)
    with pytest.raises(RateLimited):
        listing()


def test_a_failed_page_stores_nothing(
    setup: tuple[SyncContext, int, list[float]], simulator: RunningServer
) -> None:
    context, athlete_id, _ = setup
    control(simulator, "POST", "/faults", kind="malformed_json", count=3)
    with pytest.raises(Unavailable):
        backfill_page(context, athlete_id, priority=3)
    assert stored(context, athlete_id) == 0
    with context.sessions() as session:
        state = session.get(SyncState, athlete_id)
        assert state is not None and state.backfill_cursor is None
        assert state.backfill_fetched == 0
