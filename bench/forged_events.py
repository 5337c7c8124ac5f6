"""Forged push events against fitcoach, an hour of them on a simulated clock: what they
cost in Strava calls, and whether a new athlete's backfill still goes through.

fitcoach's real app (callback, budget, Strava client, webhook handling) talks to the
Strava simulator on loopback; one clock, moved by this script, drives fitcoach, its
budget windows and the simulator's rate limits, so an hour takes seconds. Each simulated
minute brings ``--per-minute`` forged events from a few addresses: without the secret
(old path, guessed secrets), with the secret but another subscription id, and, as if the
secret had leaked, deauthorizations naming the connected athletes and unknown ones, and
activity events for activities nobody holds. The worker handles what was stored at once,
and the sweep (every 5 minutes, for events stored 10 minutes ago) runs as in production.
A third athlete connects after ten minutes; their backfill runs at backfill priority.

    uv run python bench/forged_events.py [--minutes 60] [--per-minute 100] [--json FILE]

Prints the answers by status, what was stored, the Strava calls by priority, the most
webhook-driven calls any athlete had in one 15-minute window, and the new athlete's
backfill.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import secrets
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine
from fitcoach.core.queue import QueueCounts
from fitcoach.core.settings import load_settings
from fitcoach.models import WebhookEvent
from fitcoach.simulator import SimulatorConfig
from fitcoach.simulator import create_app as create_simulator
from fitcoach.strava.budget import Priority, open_budget, window_start
from fitcoach.strava.budget.windows import Window
from fitcoach.strava.cache import MemoryCache
from fitcoach.strava.client import StravaClient
from fitcoach.strava.errors import BudgetExhausted, StravaError
from fitcoach.strava.gate import BudgetGate
from fitcoach.strava.models import TokenResponse
from fitcoach.sync.activities import backfill_page
from fitcoach.sync.connection import connect_athlete
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks.repository import unprocessed_event_ids
from fitcoach.sync.webhooks.service import process_event
from fitcoach.sync.webhooks.tasks import LOST_AFTER
from loopback import LoopbackServer

with warnings.catch_warnings():  # starlette's note about httpx, not ours to act on
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SECRET = "forged-events-bench-secret"
SUBSCRIPTION = 4242
SCOPES = "read,activity:read_all"
ATTACKERS = ["203.0.113.7", "198.51.100.23"]
NEW_ATHLETE_AT = 10  # minute


class SimTime:
    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def seconds(self) -> float:
        return self.epoch

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch, UTC)


@dataclass
class Call:
    priority: int
    athlete_id: int | None
    endpoint: str
    window: datetime


class CountingGate(BudgetGate):
    """The real budget, noting each request it lets through."""

    def __init__(self, budget: Any, time: SimTime) -> None:
        super().__init__(budget)
        self.time = time
        self.calls: list[Call] = []

    def before(self, priority: int, athlete_id: int | None, endpoint: str) -> None:
        super().before(priority, athlete_id, endpoint)
        window = window_start(Window.SHORT, self.time.now())
        self.calls.append(Call(priority, athlete_id, endpoint, window))


@dataclass
class Worker:
    """The task queue as a worker would run it, at once: events handled as they come."""

    context: SyncContext | None = None
    failures: Counter[str] = field(default_factory=Counter)

    def handle_webhook_event(self, event_id: int) -> None:
        assert self.context is not None
        try:
            process_event(self.context, event_id)
        except StravaError as error:  # huey would retry; the sweep picks it up
            self.failures[type(error).__name__] += 1

    def start_backfill(self, athlete_id: int) -> None:
        pass  # the script runs the new athlete's backfill itself, page by page

    def refresh(self, athlete_id: int, ask_strava: bool) -> str:
        return ""

    def refresh_status(self, job: str) -> dict[str, Any]:
        return {}

    def recompute_loads(self, athlete_id: int) -> None:
        pass

    def import_upload(self, job_id: int) -> None:
        pass

    def replan(self, athlete_id: int) -> None:
        pass

    def counts(self) -> QueueCounts | None:
        return None


def connect(simulator_url: str, context: SyncContext, strava_id: int) -> int:
    """Connect the simulator's athlete as the OAuth callback does; fitcoach's id for them."""
    minted = httpx.post(
        f"{simulator_url}/_sim/athletes/{strava_id}/token", json={"scope": SCOPES}
    ).json()
    minted.setdefault("athlete", {"id": strava_id})
    return connect_athlete(context.sessions, context.key_ring, TokenResponse(**minted), SCOPES)


def backfill(context: SyncContext, athlete_id: int) -> tuple[int, bool]:
    """Backfill pages until done or the budget says wait; pages fetched and whether done."""
    pages = 0
    try:
        while True:
            result = backfill_page(context, athlete_id, Priority.BACKFILL)
            pages += 1
            if not result.more:
                return pages, True
    except BudgetExhausted:
        return pages, False


def run(minutes: int, per_minute: int, seed: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    # Start on a quarter hour, so the budget's and Strava's windows are easy to read.
    start = (int(time.time()) // 900) * 900
    clock = SimTime(float(start))
    config = SimulatorConfig(athletes=3, seed=seed, history_days=400, clock=clock.seconds)
    simulator = LoopbackServer(create_simulator(config))
    database = f"sqlite:///{workdir / 'forged.db'}"
    engine = make_engine(make_url(database))
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        database_url=database,
        data_dir=workdir / "data",
        secret_key="s" * 40,
        token_encryption_keys=Fernet.generate_key().decode(),
        strava_base_url=simulator.url,
        strava_client_id="1",
        strava_client_secret="simulator-secret",
        strava_webhook_verify_token="verify",
        strava_webhook_callback_secret=SECRET,
        strava_subscription_id=SUBSCRIPTION,
        public_url="http://testserver",
        log_level="WARNING",
    )
    budget_engine = make_engine(settings.database)
    gate = CountingGate(open_budget(settings, engine=budget_engine, clock=clock.now), clock)
    client = StravaClient(
        simulator.url,
        "1",
        "simulator-secret",
        gate=gate,
        cache=MemoryCache(settings.strava_cache_seconds, clock=clock.seconds),
        sleep=lambda _s: None,
    )
    worker = Worker()
    app = create_app(settings, strava=client, queue=worker, clock=clock.now)
    services = app.state.services
    context = SyncContext(services.sessions, services.key_ring, client, clock.now)
    worker.context = context
    # Events name Strava's athlete ids; fitcoach's ids are the accounts they connect to.
    athletes = [int(a["id"]) for a in httpx.get(f"{simulator.url}/_sim/athletes").json()]
    connected, newcomer = athletes[:2], athletes[2]
    for strava_id in connected:
        backfill(context, connect(simulator.url, context, strava_id))
    newcomer_id: int | None = None
    set_up_calls = len(gate.calls)

    statuses: Counter[str] = Counter()
    newcomer_pages, newcomer_done_at = 0, None
    callers = {ip: TestClient(app, client=(ip, 40000)) for ip in ATTACKERS}
    sent = 0
    try:
        for minute in range(minutes):
            if minute == NEW_ATHLETE_AT:
                newcomer_id = connect(simulator.url, context, newcomer)
                connected = [*connected, newcomer]
            for i in range(per_minute):
                clock.epoch = start + minute * 60 + i * 60 / per_minute
                now = int(clock.epoch)
                caller = callers[rng.choice(ATTACKERS)]
                kind, path, body = forged(rng, now, connected)
                answer = caller.post(path, json=body)
                statuses[f"{kind} {answer.status_code}"] += 1
                sent += 1
            if newcomer_id is not None and newcomer_done_at is None:
                pages, done = backfill(context, newcomer_id)
                newcomer_pages += pages
                if done:
                    newcomer_done_at = minute
            if minute % 5 == 4:  # the periodic sweep: events whose task was lost or waits
                with context.sessions() as session:
                    pending = unprocessed_event_ids(
                        session, received_before=clock.now() - LOST_AFTER
                    )
                for event_id in pending:
                    worker.handle_webhook_event(event_id)
        with context.sessions() as session:
            stored = int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)
            waiting = int(
                session.scalar(select(func.count()).where(WebhookEvent.processed_at.is_(None))) or 0
            )
        usage = httpx.get(f"{simulator.url}/_sim/usage").json()
    finally:
        for caller in callers.values():
            caller.close()
        client.close()
        services.engine.dispose()
        budget_engine.dispose()
        simulator.stop()

    flood = gate.calls[set_up_calls:]
    by_priority = Counter(Priority(call.priority).metric_label for call in flood)
    webhook = [call for call in flood if call.priority == Priority.WEBHOOK]
    per_window = Counter((call.athlete_id, call.window) for call in webhook)
    return {
        "minutes": minutes,
        "events_sent": sent,
        "answers": dict(sorted(statuses.items())),
        "events_stored": stored,
        "events_waiting": waiting,
        "strava_calls": len(flood),
        "strava_calls_by_priority": dict(sorted(by_priority.items())),
        "webhook_calls_without_athlete": sum(1 for call in webhook if call.athlete_id is None),
        "most_webhook_calls_per_athlete_window": max(per_window.values(), default=0),
        "webhook_calls_per_athlete": dict(
            Counter(str(call.athlete_id) for call in webhook).most_common()
        ),
        "windows": -(-minutes // 15),
        "connected_athletes": len(connected),
        "simulator_endpoints": usage.get("endpoints", {}),
        "newcomer_backfill_pages": newcomer_pages,
        "newcomer_backfill_done_at_minute": newcomer_done_at,
        "handling_failures": dict(worker.failures),
    }


def forged(rng: random.Random, now: int, connected: list[int]) -> tuple[str, str, dict[str, Any]]:
    """One forged request: its kind, the path it is sent to, its body."""
    roll = rng.random()
    event: dict[str, Any] = {
        "object_type": "activity",
        "object_id": rng.randrange(10**9, 10**10),
        "aspect_type": rng.choice(["create", "update", "delete"]),
        "owner_id": rng.choice(connected),
        "subscription_id": SUBSCRIPTION,
        "event_time": now - rng.randrange(0, 30),
        "updates": {},
    }
    right = f"/webhooks/strava/{SECRET}"
    if roll < 0.35:
        path = rng.choice(["/webhooks/strava", f"/webhooks/strava/{secrets.token_urlsafe(18)}"])
        deauth: dict[str, Any] = {"object_type": "athlete", "aspect_type": "update"}
        return "no secret", path, {**event, **deauth, "updates": {"authorized": "false"}}
    if roll < 0.50:
        return "other subscription", right, {**event, "subscription_id": rng.randrange(1, 10**6)}
    if roll < 0.85:
        owner = rng.choice(connected) if rng.random() < 0.7 else rng.randrange(10**6, 10**7)
        deauth = {
            "object_type": "athlete",
            "object_id": owner,
            "owner_id": owner,
            "aspect_type": "update",
            "updates": {"authorized": "false"},
        }
        return "deauthorization", right, {**event, **deauth}
    return "activity event", right, event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--per-minute", type=int, default=100)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    options = parser.parse_args()
    logging.disable(logging.WARNING)  # fitcoach notes each dropped or ignored event
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        figures = run(options.minutes, options.per_minute, options.seed, Path(directory))
    figures["wall_seconds"] = round(time.monotonic() - began, 1)
    for key, value in figures.items():
        print(f"{key:40} {value}")
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))
    if figures["most_webhook_calls_per_athlete_window"] > 1:
        sys.exit("more than one webhook-driven call for an athlete in a 15-minute window")


if __name__ == "__main__":
    main()
