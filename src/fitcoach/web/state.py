"""What the web app holds for its lifetime: settings, database, key ring, Redis."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.fernet import MultiFernet
from fastapi import HTTPException
from redis import Redis
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.settings import Settings
from fitcoach.store.engine import reads_only
from fitcoach.strava.budget import Usage
from fitcoach.strava.client import StravaClient
from fitcoach.strava.gate import BudgetGate
from fitcoach.sync.context import SyncContext, utc_now
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.subscription import remembered_subscription

# Seconds one reading of the shared budget serves the pages' note (``budget_usage``).
BUDGET_READ_EVERY = 2.0
# Seconds a page read waits for its turn (``page_read``) before the answer is "busy".
READ_WAIT = 10.0


def read_slots(setting: int) -> int:
    """How many page reads run at once: the setting, or one per core this process may use."""
    if setting:
        return setting
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    key_ring: MultiFernet
    redis: Redis[bytes] | None
    strava: StravaClient
    # Called with the athlete id after a successful connect (e.g. to start the backfill).
    on_connect: list[Callable[[int], None]] = field(default_factory=list)
    # Hands a stored webhook event to the task queue.
    enqueue_event: Callable[[int], None] = lambda _event_id: None
    clock: Callable[[], datetime] = utc_now
    # Manual refresh: queue it and report on it (the worker's queue once connected;
    # inline in the request until then, for tests and tools that run no worker).
    enqueue_sync: Callable[[int, bool], str] = field(init=False)
    sync_status: Callable[[str], dict[str, Any]] = field(init=False)
    # Recompute an athlete's loads after their settings changed.
    enqueue_recompute: Callable[[int], None] = lambda _athlete_id: None
    # Run an uploaded import job in a worker (None: in the web process after the reply).
    enqueue_import: Callable[[int], None] | None = None

    # The engine for requests that only read (``store.engine.reads_only``), and their turns.
    read_engine: Engine = field(init=False)
    _read_turns: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.read_engine = reads_only(self.engine)
        self._read_turns = threading.BoundedSemaphore(read_slots(self.settings.read_concurrency))
        inline: dict[str, dict[str, Any]] = {}

        def run_now(athlete_id: int, ask_strava: bool) -> str:
            job = uuid.uuid4().hex
            inline[job] = manual_sync(self.sync_context(), athlete_id, ask_strava)
            return job

        self.enqueue_sync = run_now
        self.sync_status = lambda job: inline.get(job, {"status": "unknown"})

    @contextmanager
    def page_read(self) -> Iterator[Connection]:
        """A turn to read a page's data from the store, as a connection of the read engine:
        at most ``read_slots`` at once.

        Requests run in a pool of 40 threads. Sixteen dashboard reads at once, each
        turning rows into numbers and HTML under Python's one interpreter lock (and, on
        SQLite, each through its own page cache), served half as many pages a second as
        two at a time did (bench/serving.py); the others wait here, costing nothing.
        Nothing that may wait on Strava runs inside a turn, and the dashboard computes
        its page after its turn (``sync.overview.read_dashboard``).
        """
        if not self._read_turns.acquire(timeout=READ_WAIT):
            raise HTTPException(
                503,
                f"fitcoach is busy: this page waited {READ_WAIT:.0f} s for the database.",
                headers={"Retry-After": "5"},
            )
        try:
            with self.read_engine.connect() as connection:
                yield connection
        finally:
            self._read_turns.release()

    def sync_context(self) -> SyncContext:
        return SyncContext(self.sessions, self.key_ring, self.strava, self.clock)

    _subscription: tuple[float, int | None] = (0.0, None)
    _budget_usage: tuple[float, object, Usage | None] = (0.0, None, None)

    def subscription_id(self) -> int | None:
        """The push subscription events must name: from settings, else as registered.

        The registered id is re-read at most every 30 s, so all web processes learn of a
        new registration without a restart and without a query per event.
        """
        if self.settings.strava_subscription_id is not None:
            return self.settings.strava_subscription_id
        read_at, value = self._subscription
        if value is None or time.monotonic() - read_at > 30:
            value = remembered_subscription(self.sessions)
            self._subscription = (time.monotonic(), value)
        return value

    def budget_usage(self) -> Usage | None:
        """The shared Strava budget's use, for the pages' note when it runs low; None when
        Strava is not behind a budget.

        Read at most every ``BUDGET_READ_EVERY`` seconds per process (and again when the
        gate is replaced): every page view would otherwise cost a round trip to Redis or
        the database for a note that changes by a few requests a second.
        """
        gate = self.strava.gate
        if not isinstance(gate, BudgetGate):
            return None
        read_at, read_from, usage = self._budget_usage
        if read_from is not gate or time.monotonic() - read_at > BUDGET_READ_EVERY:
            usage = gate.budget.usage()
            self._budget_usage = (time.monotonic(), gate, usage)
        return usage
