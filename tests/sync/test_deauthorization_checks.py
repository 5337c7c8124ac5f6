"""A deauthorization event is checked with Strava at the athlete's own cost, never from
the cache, and at most once per athlete per budget window (docs/security.md, finding 1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Athlete, WebhookEvent
from fitcoach.strava.cache import MemoryCache
from fitcoach.strava.client import StravaClient
from fitcoach.strava.errors import Unavailable
from fitcoach.strava.repository import athlete_of_strava, load_tokens
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks.repository import unprocessed_event_ids
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import Outcome, process_event, receive_event
from tests.conftest import (
    MovableClock,
    RunningServer,
    connect_simulator_athlete,
    strava_id_of,
)

SUBSCRIPTION = 4242


@dataclass
class RecordingGate:
    """Lets every request through and notes who it was charged to."""

    calls: list[tuple[str, int | None]] = field(default_factory=list)

    def before(self, priority: int, athlete_id: int | None, endpoint: str) -> None:
        self.calls.append((endpoint, athlete_id))

    def after(self, priority: int, athlete_id: int | None, endpoint: str, response: Any) -> None:
        pass


@dataclass
class Checked:
    context: SyncContext
    athlete_id: int  # fitcoach's
    strava_id: int  # the Strava athlete the events name
    gate: RecordingGate
    clock: MovableClock
    simulator: RunningServer

    def athlete_calls(self) -> int:
        usage = httpx.get(f"{self.simulator.url}/_sim/usage").json()
        return int(usage["endpoints"].get("GET /api/v3/athlete", 0))

    def deauthorize(self, at: datetime | None = None) -> Outcome:
        """A deauthorization event arrives (forged unless the athlete revoked) and the
        worker handles what was stored."""
        when = at or self.clock.now
        event = PushEvent(
            object_type="athlete",
            object_id=self.strava_id,
            aspect_type="update",
            owner_id=self.strava_id,
            subscription_id=SUBSCRIPTION,
            event_time=int(when.timestamp()),
            updates={"authorized": "false"},
        )
        with transaction(self.context.sessions) as session:
            received = receive_event(session, event, self.clock.now)
        if received.event_id is not None:
            process_event(self.context, received.event_id)
        return received.outcome

    def sweep(self) -> None:
        """What the periodic sweep does: queue again what is still pending."""
        with self.context.sessions() as session:
            pending = unprocessed_event_ids(session)
        for event_id in pending:
            process_event(self.context, event_id)

    def pending(self) -> int:
        with self.context.sessions() as session:
            query = select(func.count()).where(WebhookEvent.processed_at.is_(None))
            return int(session.scalar(query) or 0)

    def connected(self) -> bool:
        """Whether the account still has its Strava connection (the account itself always
        stays: forgetting Strava never deletes it)."""
        with self.context.sessions() as session:
            assert session.get(Athlete, self.athlete_id) is not None
            return athlete_of_strava(session, self.strava_id) == self.athlete_id


@pytest.fixture
def checked(sqlite_url: URL, simulator: RunningServer) -> Iterator[Checked]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    gate = RecordingGate()
    clock = MovableClock(datetime.now(UTC).replace(microsecond=0))
    client = StravaClient(
        simulator.url, "1", "simulator-secret", gate=gate, cache=MemoryCache(3600), timeout_s=3
    )
    context = SyncContext(
        session_factory(engine), key_ring([Fernet.generate_key().decode()]), client, clock
    )
    athlete_id = connect_simulator_athlete(simulator, context)
    strava_id = strava_id_of(context.sessions, athlete_id)
    yield Checked(context, athlete_id, strava_id, gate, clock, simulator)
    client.close()
    engine.dispose()


def test_the_check_is_charged_to_the_athlete_and_never_answered_by_the_cache(
    checked: Checked,
) -> None:
    context, athlete_id = checked.context, checked.athlete_id
    # The athlete's profile, cached by a page view a moment ago.
    context.strava.athlete(context.token(athlete_id), priority=3, athlete_id=athlete_id)
    before = checked.athlete_calls()
    checked.gate.calls.clear()
    assert checked.deauthorize() is Outcome.STORED
    assert checked.athlete_calls() == before + 1  # Strava answered, not the cache
    assert checked.gate.calls == [("athlete", athlete_id)]  # the athlete's quota
    assert checked.connected() and checked.pending() == 0


def test_forged_deauthorizations_cost_one_check_per_athlete_per_window(
    checked: Checked,
) -> None:
    before = checked.athlete_calls()
    start = checked.clock.now
    outcomes = []
    for minute in range(45):
        checked.clock.now = start + timedelta(minutes=minute)
        for second in range(0, 60, 10):  # six a minute
            outcomes.append(checked.deauthorize(checked.clock.now + timedelta(seconds=second)))
        if minute % 5 == 0:
            checked.sweep()
    checked.clock.now = start + timedelta(minutes=46)
    checked.sweep()
    # Minutes 0, 15, 30 and 46 (the sweeps' times): one check in each 15 minutes.
    assert checked.athlete_calls() - before == 4
    assert all(
        endpoint == "athlete" and who == checked.athlete_id for endpoint, who in checked.gate.calls
    )
    # Every later event joined the one waiting for its check: a handful stored, not 270.
    assert outcomes.count(Outcome.JOINED) >= 260
    assert checked.connected()


def test_a_genuine_deauthorization_after_a_forged_one_is_honoured_within_the_window(
    checked: Checked,
) -> None:
    start = checked.clock.now
    checked.deauthorize()  # forged: Strava still serves fitcoach, the athlete stays
    assert checked.connected()
    with checked.context.sessions() as session:
        tokens = load_tokens(session, checked.context.key_ring, checked.athlete_id)
    assert tokens is not None
    checked.context.strava.deauthorize(tokens.access_token)  # the athlete revokes on Strava
    checked.clock.now = start + timedelta(minutes=2)
    assert checked.deauthorize() is Outcome.STORED  # Strava's event: waits for the window
    assert checked.connected() and checked.pending() == 1
    checked.clock.now = start + timedelta(minutes=12)
    checked.sweep()
    assert checked.connected()
    checked.clock.now = start + timedelta(minutes=15)
    checked.sweep()
    assert not checked.connected()
    assert checked.pending() == 0


def test_a_check_that_fails_leaves_its_events_pending_for_the_retry(
    checked: Checked,
) -> None:
    fault = {"kind": "unavailable", "count": 9, "path": "/api/v3/athlete", "retry_after": 0}
    assert httpx.post(f"{checked.simulator.url}/_sim/faults", json=fault).status_code == 201
    with pytest.raises(Unavailable):
        checked.deauthorize()
    assert checked.pending() == 1
    httpx.delete(f"{checked.simulator.url}/_sim/faults")
    checked.sweep()  # no check was made: none is waited for
    assert checked.pending() == 0 and checked.connected()
