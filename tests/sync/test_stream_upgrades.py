"""Stream upgrades: in spare budget, the streams of runs scored from their average pace are
fetched and their loads computed from them (issue: interval runs scored too low)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.activities.loads import coach_activity_with_streams
from fitcoach.athletes.repository import get_athlete
from fitcoach.athletes.thresholds import thresholds_for
from fitcoach.coach import activity_load
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory
from fitcoach.models import Activity, ActivityStreams
from fitcoach.strava.budget import Usage, WindowUsage
from fitcoach.strava.client import StravaClient
from fitcoach.strava.models import TokenResponse
from fitcoach.sync.activities import backfill_page
from fitcoach.sync.connection import connect_athlete
from fitcoach.sync.context import SyncContext
from fitcoach.sync.streams import STREAM_KEYS
from fitcoach.sync.upgrades import spare_calls, upgrade_streams
from tests.conftest import RunningServer

SCOPES = "read,activity:read_all"


def control(simulator: RunningServer, method: str, path: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{path}", json=body or None, timeout=30)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.fixture
def runner(sqlite_url: URL, simulator: RunningServer) -> Iterator[tuple[SyncContext, int]]:
    """A runner with 50 days of history, backfilled (summaries only)."""
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    client = StravaClient(simulator.url, "1", "simulator-secret", timeout_s=10.0)
    context = SyncContext(
        session_factory(engine), key_ring([Fernet.generate_key().decode()]), client
    )
    made = control(simulator, "POST", "/athletes", kind="runner", history_days=50, seed=5)
    minted = control(simulator, "POST", f"/athletes/{made['id']}/token", scope=SCOPES)
    minted.setdefault("athlete", {"id": made["id"]})
    athlete_id = connect_athlete(
        context.sessions, context.key_ring, TokenResponse(**minted), SCOPES
    )
    while backfill_page(context, athlete_id, priority=3).more:
        pass
    yield context, athlete_id
    client.close()
    engine.dispose()


def test_interval_runs_are_scored_from_their_streams_once_fetched(
    runner: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    context, athlete_id = runner
    with context.sessions() as session:
        runs = session.execute(
            select(Activity.id, Activity.strava_id, Activity.load, Activity.load_method).where(
                Activity.athlete_id == athlete_id, Activity.sport_type == "Run"
            )
        ).all()
    intervals = [
        run
        for run in runs
        if control(simulator, "GET", f"/activities/{run.strava_id}")["workout"] == "run_intervals"
    ]
    assert len(intervals) >= 3
    assert {run.load_method for run in intervals} == {"average_pace"}

    now = datetime.fromtimestamp(control(simulator, "GET", "/usage")["now"], UTC)
    passes = []
    while (done := upgrade_streams(context, now)).fetched:
        passes.append(done)
    assert sum(p.upgraded for p in passes) >= len(intervals)

    token = context.token(athlete_id)
    with context.sessions() as session:
        athlete = get_athlete(session, athlete_id)
        assert athlete is not None
        thresholds = thresholds_for(session, athlete, now.date()).as_thresholds()
        for run in intervals:
            row = session.get(Activity, run.id)
            assert row is not None and row.load is not None
            # The truth: the coach's stream-based load on the simulator's own streams.
            fetched = context.strava.streams(
                token, run.strava_id, STREAM_KEYS, priority=3, athlete_id=athlete_id
            )
            truth = activity_load(
                coach_activity_with_streams(
                    row, {key: list(stream.data) for key, stream in fetched.items()}
                ),
                thresholds,
            ).load
            assert row.load_method == "pace_stream"
            assert abs(row.load - truth) <= 0.03 * truth, (run.load, row.load, truth)
            # From the average pace, the same session had been well below it.
            assert run.load < 0.9 * truth


def test_recent_runs_first_and_nothing_twice(
    runner: tuple[SyncContext, int], simulator: RunningServer
) -> None:
    context, athlete_id = runner
    now = datetime.fromtimestamp(control(simulator, "GET", "/usage")["now"], UTC)
    first = upgrade_streams(context, now, per_pass=5)
    assert first.fetched == 5
    with context.sessions() as session:
        fetched_ids = set(session.scalars(select(ActivityStreams.activity_id)))
        starts = {
            row.id: row.start_date
            for row in session.scalars(select(Activity).where(Activity.athlete_id == athlete_id))
        }
    oldest_fetched = min(starts[i] for i in fetched_ids)
    assert oldest_fetched >= now - timedelta(days=42)
    # Each pass takes new activities only; a full pass leaves nothing to fetch.
    while upgrade_streams(context, now).fetched:
        pass
    with context.sessions() as session:
        stored = session.scalars(select(ActivityStreams.activity_id)).all()
        methods = set(
            session.scalars(
                select(Activity.load_method).where(
                    Activity.sport_type.in_(("Run", "TrailRun")), Activity.moving_time_s > 0
                )
            )
        )
    assert len(stored) == len(set(stored))
    assert "average_pace" not in methods


def window(used: int, limit: int, start: datetime) -> WindowUsage:
    return WindowUsage(used, limit, start, start + timedelta(days=1))


@pytest.mark.parametrize(
    ("hour", "used", "spare"),
    [(0, 0, 0), (6, 100, 25), (6, 125, 0), (6, 400, 0), (12, 100, 150), (24, 490, 10)],
)
def test_spare_budget_is_paced_over_the_day(hour: int, used: int, spare: int) -> None:
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    day = window(used, 1000, midnight)
    usage = Usage(midnight + timedelta(hours=hour), day, day, day, day)
    assert spare_calls(usage) == spare
