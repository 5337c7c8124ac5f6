"""A backfill survives the database going away mid-page and rows the database refuses:
every error is classified and retried or recorded, and afterwards the athlete's
activities equal the simulator's (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from fitcoach import migrations
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, SkippedActivity, SyncState
from fitcoach.strava.budget import Priority
from fitcoach.strava.client import MAX_PER_PAGE, StravaClient
from fitcoach.sync.backfill import STALLED_AFTER, backfill_step, stalled_backfills
from fitcoach.sync.context import SyncContext
from fitcoach.sync.retries import Failure, classify, retry_delay
from tests.conftest import MovableClock, RunningServer, connect_simulator_athlete, strava_id_of


def control(simulator: RunningServer, method: str, path: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{path}", json=body or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@dataclass
class Connected:
    context: SyncContext
    engine: Engine
    clock: MovableClock
    athlete_id: int
    strava_id: int
    token: str


@pytest.fixture
def connected(database_url: URL, simulator: RunningServer) -> Iterator[Connected]:
    """The simulator's first athlete connected (real tokens), nothing fetched yet."""
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    client = StravaClient(simulator.url, "1", "simulator-secret", timeout_s=5.0)
    clock = MovableClock(datetime.now(UTC).replace(microsecond=0))
    context = SyncContext(
        session_factory(engine), key_ring([Fernet.generate_key().decode()]), client, clock
    )
    athlete_id = connect_simulator_athlete(simulator, context)
    token = context.token(athlete_id)
    yield Connected(
        context, engine, clock, athlete_id, strava_id_of(context.sessions, athlete_id), token
    )
    client.close()
    engine.dispose()


def strava_truth(athlete: Connected) -> dict[int, tuple[str, float, int]]:
    """Every activity of the athlete as Strava lists it: name, distance, moving time."""
    truth: dict[int, tuple[str, float, int]] = {}
    page = 1
    while True:
        listed = athlete.context.strava.activities(
            athlete.token, priority=Priority.INTERACTIVE, athlete_id=None, page=page
        )
        for activity in listed:
            raw = activity.raw
            truth[activity.id] = (raw["name"], float(raw["distance"]), int(raw["moving_time"]))
        if len(listed) < MAX_PER_PAGE:
            return truth
        page += 1


def stored(athlete: Connected) -> dict[int, tuple[str, float, int]]:
    with athlete.context.sessions() as session:
        rows = session.execute(
            select(
                Activity.strava_id, Activity.name, Activity.distance_m, Activity.moving_time_s
            ).where(Activity.athlete_id == athlete.athlete_id)
        ).all()
    return {int(row[0]): (row[1], row[2], row[3]) for row in rows}


def run_backfill(athlete: Connected) -> list[timedelta]:
    """Run the backfill's steps as the worker would, the clock moved to each due time;
    the delays between them."""
    delays: list[timedelta] = []
    attempt = 0
    for _ in range(40):
        step = backfill_step(athlete.context, athlete.athlete_id, attempt, Priority.BACKFILL)
        if step.at is None:
            return delays
        delays.append(step.at - athlete.clock.now)
        athlete.clock.now, attempt = step.at, step.attempt
    raise AssertionError(f"the backfill did not finish: {delays}")


class Outage:
    """Once armed, the database goes away while the next page is being stored, and
    refuses every connection until the clock reaches ``until``."""

    def __init__(self, engine: Engine, clock: MovableClock, lasts: timedelta) -> None:
        self.engine, self.clock, self.lasts = engine, clock, lasts
        self.until: datetime | None = None
        self.armed = False
        driver = engine.dialect.loaded_dbapi
        event.listen(engine, "before_cursor_execute", self.mid_page)
        event.listen(engine, "do_connect", self.refuse)
        self.refused = driver.OperationalError

    def down(self) -> bool:
        return self.until is not None and self.clock.now < self.until

    def mid_page(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.armed and self.until is None and statement.startswith("INSERT INTO activities"):
            self.until = self.clock.now + self.lasts
            self.engine.dispose()  # every pooled connection is gone with the server
            raise OperationalError(statement, params, self.refused("server closed"))

    def refuse(self, *_: Any) -> None:
        if self.down():
            raise self.refused("connection refused (the database is restarting)")


def test_a_database_outage_mid_backfill_is_retried_until_every_activity_is_stored(
    connected: Connected, caplog: pytest.LogCaptureFixture
) -> None:
    truth = strava_truth(connected)
    assert len(truth) > MAX_PER_PAGE  # two pages at least: the outage hits the second
    outage = Outage(connected.engine, connected.clock, timedelta(seconds=12))
    first = backfill_step(connected.context, connected.athlete_id, 0, Priority.BACKFILL)
    assert first.at == connected.clock.now  # page 1 stored; page 2 due at once
    outage.armed = True
    with caplog.at_level(logging.WARNING, logger="fitcoach.sync"):
        delays = run_backfill(connected)
    assert outage.until is not None  # the outage happened
    # Page 2 failed (the database went away): retried after 5 s, which failed to
    # connect, then after 10 s more, which stored it; then any further pages at once.
    assert delays[:2] == [timedelta(seconds=5), timedelta(seconds=10)]
    assert all(delay == timedelta(0) for delay in delays[2:])
    assert stored(connected) == truth
    failures = [r for r in caplog.records if r.getMessage() == "sync failed"]
    assert len(failures) == 2
    assert all("database was unavailable" in str(getattr(r, "error", "")) for r in failures)
    with connected.context.sessions() as session:
        state = session.get(SyncState, connected.athlete_id)
        assert state is not None
        assert state.backfill_done and state.backfill_next_at is None
        assert (state.consecutive_failures, state.last_error) == (0, None)


def test_a_nul_in_a_name_is_cleaned_and_a_huge_number_skips_only_its_activity(
    connected: Connected, simulator: RunningServer
) -> None:
    listed = connected.context.strava.activities(
        connected.token, priority=Priority.INTERACTIVE, athlete_id=None, per_page=3
    )
    nul_id = listed[1].id
    control(simulator, "PATCH", f"/activities/{nul_id}", name="Tempo\u0000 ride")
    start = listed[2].start_date - timedelta(hours=3)
    huge = control(
        simulator,
        "POST",
        f"/athletes/{connected.strava_id}/activities",
        raw={
            "name": "Broken\u0000 watch",
            "sport_type": "Ride",
            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "moving_time": 10**12,
            "elapsed_time": 10**12,
            "distance": 30000.0,
        },
    )
    truth = strava_truth(connected)
    assert truth[nul_id][0] == "Tempo\u0000 ride"

    delays = run_backfill(connected)

    assert all(delay == timedelta(0) for delay in delays)  # nothing failed
    held = stored(connected)
    assert held[nul_id][0] == "Tempo ride"
    assert int(huge["id"]) not in held
    expected = {key: value for key, value in truth.items() if key != int(huge["id"])}
    expected[nul_id] = ("Tempo ride", *truth[nul_id][1:])
    assert held == expected
    with connected.context.sessions() as session:
        skipped = session.scalars(select(SkippedActivity)).all()
        state = session.get(SyncState, connected.athlete_id)
    assert [(s.athlete_id, s.strava_id, s.name) for s in skipped] == [
        (connected.athlete_id, int(huge["id"]), "Broken watch")
    ]
    assert "moving_time" in skipped[0].reason and "out of range" in skipped[0].reason
    assert state is not None and state.backfill_done


def test_a_backfill_whose_task_was_lost_is_queued_again_once(connected: Connected) -> None:
    """The periodic resume takes a backfill due long ago, and not one still due soon."""
    context, clock = connected.context, connected.clock
    step = backfill_step(context, connected.athlete_id, 0, Priority.BACKFILL)
    assert step.at == clock.now  # more pages: the next is due at once
    assert stalled_backfills(context) == []  # its task is queued: not stalled
    clock.now += STALLED_AFTER + timedelta(seconds=1)  # ... and it never ran
    assert stalled_backfills(context) == [connected.athlete_id]
    assert stalled_backfills(context) == []  # queued again: not taken twice
    with transaction(context.sessions) as session:
        state = session.get(SyncState, connected.athlete_id)
        assert state is not None
        state.backfill_done = True
    clock.now += STALLED_AFTER * 2
    assert stalled_backfills(context) == []  # a finished backfill is never resumed


def test_errors_are_classified_by_type() -> None:
    database = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert classify(database) is Failure.DATABASE
    assert [retry_delay(Failure.DATABASE, n).total_seconds() for n in (1, 2, 3, 7, 20)] == [
        5,
        10,
        20,
        300,
        300,
    ]
    from fitcoach.strava.errors import BadRequest, Unavailable

    assert classify(Unavailable("503")) is Failure.STRAVA
    assert retry_delay(Failure.STRAVA, 1) == timedelta(minutes=5)
    assert classify(BadRequest("bad")) is Failure.PERMANENT
    assert classify(ValueError("?")) is Failure.PERMANENT
