"""Many processes, many threads, one budget: exactly the limit is granted, never more.

8 processes x 50 threads ask a budget of 100 requests per 15 minutes at the same instant,
on every backend; in the second test each granted request really goes to the Strava
simulator, which must never answer 429 and must count exactly the limit.

Workers come from a fork server (not forked from pytest), so each opens its own
connections, as separate web and worker processes would; the server imports the
libraries once, which spares each worker seconds of imports.
"""

from __future__ import annotations

import multiprocessing
import queue
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import URL, make_url

from fitcoach.core.db import make_engine
from fitcoach.strava.budget import (
    Backend,
    Budget,
    DatabaseBackend,
    Limits,
    Priority,
    RedisBackend,
)

PROCESSES = 8
THREADS = 50
ASKS = 2
LIMIT = 100
ATHLETES = 10
NOW = datetime(2026, 3, 1, 14, 37, tzinfo=UTC)
LIMITS = Limits(short=LIMIT, long=1000, read_short=LIMIT, read_long=1000)
PRELOAD = [
    "pytest",
    "psycopg",
    "httpx",
    "uvicorn",
    "fitcoach.core.db",
    "fitcoach.strava.budget",
]


def fixed_clock() -> datetime:
    return NOW


def open_backend(kind: str, target: str, pool: int) -> Backend:
    if kind == "redis":
        return RedisBackend.from_url(target.partition("|")[0], prefix=target.partition("|")[2])
    # Enough connections that threads contend in the database, not in the pool, while 8
    # processes stay under PostgreSQL's default 100 connections.
    return DatabaseBackend(make_engine(make_url(target), pool_size=pool, max_overflow=0))


def ask(
    kind: str, target: str, strava: tuple[str, str] | None, ready: Any, go: Any, results: Any
) -> None:
    """One process: THREADS threads each ask ASKS times as soon as every process is ready.

    With `strava` (base URL, access token), each granted request is sent there and its
    rate-limit headers are fed back to the budget, as the Strava client does.
    """
    try:
        backend = open_backend(kind, target, pool=10)
        budget = Budget(backend, LIMITS, clock=fixed_clock)
        client = None
        if strava is not None:
            client = httpx.Client(
                base_url=strava[0],
                headers={"Authorization": f"Bearer {strava[1]}"},
                limits=httpx.Limits(max_connections=THREADS),
                timeout=30,
            )
        start = threading.Event()
        granted: list[int] = []
        statuses: list[int] = []

        def run(index: int) -> None:
            start.wait()
            for _ in range(ASKS):
                if budget.acquire(Priority.INTERACTIVE, athlete_id=index % ATHLETES).allowed:
                    granted.append(index)
                    if client is not None:
                        response = client.get("/api/v3/athlete")
                        statuses.append(response.status_code)
                        budget.observe(response.headers)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        ready.put(True)
        go.wait()
        start.set()
        for thread in threads:
            thread.join()
        backend.dispose()
        if client is not None:
            client.close()
        results.put(("done", (len(granted), statuses)))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def run_processes(
    kind: str, target: str, strava: tuple[str, str] | None = None
) -> tuple[int, list[int]]:
    """Start the processes, release them together; how many were granted, and what Strava said."""
    context = multiprocessing.get_context("forkserver")
    # Python 3.11's fork server ignores the test's sys.path, so this module itself cannot be
    # preloaded; its heavy imports can.
    context.set_forkserver_preload(PRELOAD)
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(target=ask, args=(kind, target, strava, ready, go, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready.get(timeout=60)
        go.set()
        outcomes = [results.get(timeout=120) for _ in processes]
    except queue.Empty:
        pytest.fail(f"the {kind} workers did not finish in time")
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    errors = [detail for status, detail in outcomes if status == "error"]
    assert not errors, errors[0]
    done = [detail for _, detail in outcomes]
    return sum(granted for granted, _ in done), [code for _, codes in done for code in codes]


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def shared(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(kind, target) naming a fresh, empty budget store every worker process can open."""
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        prefix = f"fitcoach-test:{uuid.uuid4().hex}:"
        yield "redis", f"{url}|{prefix}"
        RedisBackend.from_url(url, prefix=prefix).clear()
        return
    from fitcoach import migrations  # alembic: kept out of the workers' imports

    database: URL = request.getfixturevalue(f"{request.param}_url")
    engine = make_engine(database)
    migrations.upgrade(engine)
    engine.dispose()
    yield request.param, database.render_as_string(hide_password=False)


def test_processes_and_threads_get_exactly_the_limit(shared: tuple[str, str]) -> None:
    kind, target = shared
    assert run_processes(kind, target) == (LIMIT, [])

    backend = open_backend(kind, target, pool=1)
    budget = Budget(backend, LIMITS, clock=fixed_clock)
    usage = budget.usage()
    assert (usage.short.used, usage.read_short.used, usage.daily.used) == (LIMIT, LIMIT, LIMIT)
    per_athlete = [budget.athlete_usage(athlete).short.used for athlete in range(ATHLETES)]
    assert sum(per_athlete) == LIMIT
    backend.dispose()


@pytest.fixture
def simulator() -> Iterator[tuple[str, str]]:
    """The Strava simulator on a free loopback port, limited to 100 requests per 15 minutes.

    It reads the same fixed clock as the budget, so both agree on the window.
    """
    from fitcoach.simulator import SimulatorConfig, create_app

    config = SimulatorConfig(
        athletes=1,
        short_limit=LIMIT,
        long_limit=1000,
        read_short_limit=LIMIT,
        read_long_limit=1000,
        clock=NOW.timestamp,
    )
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.02)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        athlete = httpx.get(f"{base}/_sim/athletes").json()[0]["id"]
        token = httpx.post(
            f"{base}/_sim/athletes/{athlete}/token", json={"scope": "read,activity:read_all"}
        ).json()["access_token"]
        yield base, token
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_strava_never_answers_429_and_counts_exactly_the_limit(
    shared: tuple[str, str], simulator: tuple[str, str]
) -> None:
    kind, target = shared
    granted, statuses = run_processes(kind, target, simulator)
    assert granted == LIMIT
    assert statuses.count(429) == 0
    assert statuses == [200] * LIMIT

    usage = httpx.get(f"{simulator[0]}/_sim/usage").json()["applications"]["1"]
    assert usage["overall"]["short"]["usage"] == LIMIT
    assert usage["read"]["short"]["usage"] == LIMIT
