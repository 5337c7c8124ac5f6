"""Push events whose handling cannot go now: deferred by the budget to its window's reset
(not retried blindly, not logged as errors), Strava's failures retried then recorded,
and handled events pruned after 30 days."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, WebhookEvent
from fitcoach.strava.budget import Budget, DatabaseBackend, Limits, Priority
from fitcoach.strava.client import StravaClient
from fitcoach.strava.gate import BudgetGate
from fitcoach.sync.activities import backfill_page
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks.repository import prune_processed, unprocessed_event_ids
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import EVENT_RETRIES, handle_event, store_event
from fitcoach.sync.webhooks.tasks import KEEP_HANDLED, LOST_AFTER
from tests.conftest import MovableClock, RunningServer, connect_simulator_athlete, strava_id_of


def control(simulator: RunningServer, method: str, route: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{route}", json=body or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@dataclass
class Gated:
    context: SyncContext
    budget: Budget
    clock: MovableClock
    athlete_id: int
    activity: int  # the Strava id of one of the athlete's stored activities


@pytest.fixture
def gated(sqlite_url: URL, simulator: RunningServer) -> Iterator[Gated]:
    """An athlete backfilled, then a context whose Strava calls pass a small real budget."""
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    ring = key_ring([Fernet.generate_key().decode()])
    clock = MovableClock(datetime(2026, 12, 6, 10, 3, tzinfo=UTC))
    free = StravaClient(simulator.url, "1", "simulator-secret", timeout_s=5.0)
    athlete_id = connect_simulator_athlete(simulator, SyncContext(sessions, ring, free))
    while backfill_page(SyncContext(sessions, ring, free), athlete_id, 0).more:
        pass
    budget = Budget(DatabaseBackend(engine), Limits(athlete_short=10), clock=clock)
    client = StravaClient(
        simulator.url, "1", "simulator-secret", timeout_s=5.0, gate=BudgetGate(budget)
    )
    with sessions() as session:
        activity = session.scalars(select(Activity.strava_id).limit(1)).one()
    assert activity is not None
    yield Gated(SyncContext(sessions, ring, client, clock), budget, clock, athlete_id, activity)
    client.close()
    free.close()
    engine.dispose()


def delete_event(gated: Gated) -> int:
    """A delete event (unchecked yet) for the athlete's stored activity; its id."""
    event = PushEvent(
        object_type="activity",
        object_id=gated.activity,
        aspect_type="delete",
        owner_id=strava_id_of(gated.context.sessions, gated.athlete_id),
        subscription_id=1,
        event_time=int(gated.clock.now.timestamp()),
        updates={},
    )
    with transaction(gated.context.sessions) as session:
        event_id = store_event(session, event, gated.clock.now)
    assert event_id is not None
    return event_id


def stored_event(gated: Gated, event_id: int) -> WebhookEvent:
    with gated.context.sessions() as session:
        event = session.get(WebhookEvent, event_id)
        assert event is not None
        session.expunge(event)
        return event


def test_a_budget_deferred_event_waits_for_the_windows_reset(
    gated: Gated, caplog: pytest.LogCaptureFixture
) -> None:
    while gated.budget.acquire(Priority.WEBHOOK, gated.athlete_id).allowed:
        pass  # the athlete's quota of this 15-minute window is spent
    event_id = delete_event(gated)
    reset = datetime(2026, 12, 6, 10, 15, tzinfo=UTC)
    with caplog.at_level(logging.INFO, logger="fitcoach"):
        step = handle_event(gated.context, event_id, 0)
    assert (step.at, step.attempt) == (reset, 0)  # the window's reset, and no failure
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    event = stored_event(gated, event_id)
    assert event.processed_at is None and event.next_try_at == reset
    # The sweep for lost tasks leaves it to the task scheduled for the reset...
    with gated.context.sessions() as session:
        assert unprocessed_event_ids(session, received_before=gated.clock.now + LOST_AFTER) == []
        # ... and takes it up if that task too is lost.
        later = reset + LOST_AFTER + timedelta(seconds=1)
        assert unprocessed_event_ids(session, received_before=later) == [event_id]

    gated.clock.now = reset
    step = handle_event(gated.context, event_id, 0)
    assert step.at is None  # checked: Strava still has it, so it stays
    assert stored_event(gated, event_id).processed_at == reset


def test_strava_failures_are_retried_then_recorded_never_forever(
    gated: Gated, simulator: RunningServer
) -> None:
    # Strava down for an hour: each check fails at once (no waiting inside the client).
    control(
        simulator,
        "POST",
        "/faults",
        kind="unavailable",
        retry_after=3600,
        path="/api/v3/activities/",
    )
    event_id = delete_event(gated)
    delays = []
    attempt = 0
    for _ in range(EVENT_RETRIES + 2):
        step = handle_event(gated.context, event_id, attempt)
        if step.at is None:
            break
        delays.append(step.at - gated.clock.now)
        gated.clock.now, attempt = step.at, step.attempt
    assert delays == [timedelta(minutes=5)] * EVENT_RETRIES
    event = stored_event(gated, event_id)
    assert event.processed_at is not None
    assert event.last_error and "Strava did not answer properly" in event.last_error


def test_handled_events_are_pruned_after_30_days(gated: Gated) -> None:
    now = gated.clock.now
    ids = [delete_event(gated) for _ in range(1)]
    with transaction(gated.context.sessions) as session:
        for age_days, processed in ((31, True), (29, True), (40, False)):
            at = now - timedelta(days=age_days)
            event = WebhookEvent(
                dedupe_key=f"old-{age_days}",
                object_type="activity",
                object_id=age_days,
                aspect_type="create",
                owner_id=1,
                subscription_id=1,
                event_time=at,
                updates={},
                received_at=at,
                processed_at=at if processed else None,
            )
            session.add(event)
    with transaction(gated.context.sessions) as session:
        assert prune_processed(session, now - KEEP_HANDLED) == 1
    with gated.context.sessions() as session:
        kept = sorted(session.scalars(select(WebhookEvent.dedupe_key)))
    assert len(kept) == len(ids) + 2
    assert "old-31" not in kept and {"old-29", "old-40"} <= set(kept)
