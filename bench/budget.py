"""Benchmark of the Strava budget gate: how fast N processes get decisions, on each backend.

    uv run python bench/budget.py [--processes 4] [--seconds 3] [--simulated 60]
                                  [--backends sqlite,postgres,redis]
                                  [--sim-seconds 6 | --no-simulator]

Each run squeezes `--simulated` seconds of budget time, starting at 14:59:30 UTC so one
quarter-hour reset falls inside, into `--seconds` of real time. N processes ask the gate
in a loop (priorities in turn, 20 athletes) with limits of 100 requests per 15 minutes,
so exactly 200 grants are expected (100 per window). The gate's decisions per second are
compared with a bare loop on the same backend in the same run, with the same processes
and time: `INCR` for Redis, a one-row `UPDATE .. SET used = used + 1` transaction for the
databases. When the Strava simulator can be imported, a third pass sends every grant to it
(started here on a loopback port with the same limits and the same compressed clock),
feeds the response headers back to the budget, and counts the 429s; they must be 0. That
pass (`--sim-seconds` of real time for the same simulated span) is not timed: its speed is
the simulator's. Its guard (requests near a window's end
count in both windows) is scaled with the clock, to 50 ms of real latency.

PostgreSQL and Redis are used when reachable (FITCOACH_TEST_POSTGRES_URL,
FITCOACH_TEST_REDIS_URL or the options), in a scratch database and key prefix removed
afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SIM_START = datetime(2026, 3, 1, 14, 59, 30, tzinfo=UTC)
LIMIT = 100
ATHLETES = 20
PRELOAD = ["psycopg", "redis", "httpx", "fitcoach.core.db", "fitcoach.strava.budget"]
DEFAULT_POSTGRES = os.environ.get(
    "FITCOACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DEFAULT_REDIS = os.environ.get("FITCOACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass(frozen=True)
class Run:
    """What one worker needs: where the counters are and how time is compressed."""

    kind: str
    target: str
    seconds: float
    simulated: float
    strava: tuple[str, str] | None = None

    @property
    def speed(self) -> float:
        return self.simulated / self.seconds


@dataclass
class Outcome:
    decisions: int = 0
    grants: int = 0
    too_many: int = 0
    peak_rss_kb: int = 0
    error: str = ""


def compressed_clock(wall_start: float, speed: float) -> Callable[[], datetime]:
    def now() -> datetime:
        return SIM_START + timedelta(seconds=(time.time() - wall_start) * speed)

    return now


def open_backend(run: Run) -> Any:
    from sqlalchemy.engine import make_url

    from fitcoach.core.db import make_engine
    from fitcoach.strava.budget import DatabaseBackend, RedisBackend

    if run.kind == "redis":
        url, _, prefix = run.target.partition("|")
        return RedisBackend.from_url(url, prefix=prefix)
    return DatabaseBackend(make_engine(make_url(run.target), pool_size=2, max_overflow=0))


def gate_worker(run: Run, index: int, ready: Any, go: Any, start: Any, results: Any) -> None:
    """Ask the gate in a loop until the simulated time or the real time is up."""
    import traceback

    import httpx

    from fitcoach.strava.budget import Budget, Limits, Priority

    outcome = Outcome()
    try:
        backend = open_backend(run)
        ready.put(index)
        go.wait()
        clock = compressed_clock(start.value, run.speed)
        guard = max(timedelta(milliseconds=500), timedelta(seconds=0.05 * run.speed))
        limits = Limits(short=LIMIT, read_short=LIMIT)
        budget = Budget(backend, limits, clock=clock, guard=guard)
        client = None
        if run.strava is not None:
            client = httpx.Client(
                base_url=run.strava[0], headers={"Authorization": f"Bearer {run.strava[1]}"}
            )
        priorities = list(Priority)
        deadline = start.value + run.seconds
        step = index
        while time.time() < deadline:
            decision = budget.acquire(priorities[step % 4], athlete_id=step % ATHLETES)
            step += 1
            outcome.decisions += 1
            if decision.allowed:
                outcome.grants += 1
                if client is not None:
                    response = client.get("/api/v3/athlete")
                    outcome.too_many += response.status_code == 429
                    budget.observe(response.headers)
        if client is not None:
            client.close()
        backend.dispose()
    except BaseException:
        outcome.error = traceback.format_exc()
    outcome.peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put(outcome)


def bare_worker(run: Run, index: int, ready: Any, go: Any, start: Any, results: Any) -> None:
    """The floor: the same processes incrementing one counter with nothing else around it."""
    import traceback

    outcome = Outcome()
    try:
        if run.kind == "redis":
            import redis

            url, _, prefix = run.target.partition("|")
            client = redis.Redis.from_url(url)
            key = f"{prefix}bare"

            def step() -> None:
                client.incr(key)
        else:
            from sqlalchemy import text
            from sqlalchemy.engine import make_url

            from fitcoach.core.db import make_engine

            engine = make_engine(make_url(run.target), pool_size=2, max_overflow=0)
            statement = text(
                'UPDATE api_usage SET used = used + 1 WHERE scope = :s AND "window" = :w'
            )

            def step() -> None:
                with engine.begin() as connection:
                    connection.execute(statement, {"s": "bare", "w": "15min"})

        ready.put(index)
        go.wait()
        deadline = start.value + run.seconds
        while time.time() < deadline:
            step()
            outcome.decisions += 1
    except BaseException:
        outcome.error = traceback.format_exc()
    outcome.peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put(outcome)


def run_processes(
    worker: Callable[..., None],
    run: Run,
    processes: int,
    on_start: Callable[[float], None] | None = None,
) -> list[Outcome]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start = context.Value("d", 0.0)
    workers = [
        context.Process(target=worker, args=(run, i, ready, go, start, results))
        for i in range(processes)
    ]
    for process in workers:
        process.start()
    for _ in workers:
        ready.get(timeout=120)
    # Start a moment ahead so every worker reads the same start before its clock runs.
    start.value = time.time() + 0.2
    if on_start is not None:
        on_start(start.value)
    go.set()
    outcomes = [results.get(timeout=run.seconds + 120) for _ in workers]
    for process in workers:
        process.join(timeout=30)
    failed = [outcome.error for outcome in outcomes if outcome.error]
    if failed:
        raise RuntimeError(failed[0])
    return outcomes


@contextmanager
def sqlite_store() -> Iterator[str]:
    from fitcoach import migrations
    from fitcoach.core.db import make_engine

    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        yield prepare_database(url, make_engine, migrations.upgrade)


@contextmanager
def postgres_store(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from fitcoach import migrations
    from fitcoach.core.db import make_engine

    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"fitcoach_bench_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        yield prepare_database(url, make_engine, migrations.upgrade)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def prepare_database(url: str, make_engine: Any, upgrade: Any) -> str:
    """Migrate, and add the one row the bare loop increments."""
    from sqlalchemy import insert
    from sqlalchemy.engine import make_url

    from fitcoach.models import ApiUsage
    from fitcoach.strava.budget.repository import EPOCH

    engine = make_engine(make_url(url))
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(ApiUsage).values(scope="bare", window="15min", window_start=EPOCH, used=0)
        )
    engine.dispose()
    return url


@contextmanager
def redis_store(url: str) -> Iterator[str]:
    import redis

    from fitcoach.strava.budget import RedisBackend

    redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    prefix = f"fitcoach-bench:{uuid.uuid4().hex}:"
    try:
        yield f"{url}|{prefix}"
    finally:
        backend = RedisBackend.from_url(url, prefix=prefix)
        backend.clear()
        backend.dispose()


class Simulator:
    """The Strava simulator in a thread, on the benchmark's compressed clock."""

    def __init__(self) -> None:
        import httpx

        from fitcoach.simulator import SimulatorConfig, create_app
        from loopback import LoopbackServer

        self.wall_start = time.time()
        self.speed = 1.0
        config = SimulatorConfig(
            athletes=1,
            short_limit=LIMIT,
            long_limit=1000,
            read_short_limit=LIMIT,
            read_long_limit=1000,
            clock=self.now,
        )
        # The simulator's lifespan runs (its start-up work), as under uvicorn's default.
        self.server = LoopbackServer(create_app(config), lifespan="auto", timeout_s=30)
        self.base = self.server.url
        self.http = httpx.Client(base_url=self.base)
        athlete = self.http.get("/_sim/athletes").json()[0]["id"]
        self.token = self.http.post(
            f"/_sim/athletes/{athlete}/token", json={"scope": "read,activity:read_all"}
        ).json()["access_token"]

    def now(self) -> float:
        return SIM_START.timestamp() + (time.time() - self.wall_start) * self.speed

    def reset(self, wall_start: float, speed: float) -> None:
        self.wall_start, self.speed = wall_start, speed
        self.http.post("/_sim/usage/reset").raise_for_status()

    def close(self) -> None:
        self.http.close()
        self.server.stop()


def bench(kind: str, target: str, args: argparse.Namespace, sim: Simulator | None) -> str:
    run = Run(kind, target, args.seconds, args.simulated)
    bare = run_processes(bare_worker, run, args.processes)
    gate = run_processes(gate_worker, run, args.processes)
    decisions = sum(o.decisions for o in gate) / args.seconds
    bare_rate = sum(o.decisions for o in bare) / args.seconds
    grants = sum(o.grants for o in gate)
    sent, too_many = "n/a", "n/a"
    peak_kb = max(o.peak_rss_kb for o in gate + bare)
    if sim is not None:
        # A fresh store, so the pass starts from empty windows like the timed one.
        with fresh(kind, args) as sim_target:
            sim_run = Run(kind, sim_target, args.sim_seconds, args.simulated, (sim.base, sim.token))
            sent_pass = run_processes(
                gate_worker,
                sim_run,
                args.processes,
                on_start=lambda wall: sim.reset(wall, sim_run.speed),
            )
        sent = str(sum(o.grants for o in sent_pass))
        too_many = str(sum(o.too_many for o in sent_pass))
        peak_kb = max(peak_kb, *(o.peak_rss_kb for o in sent_pass))
    return (
        f"{kind:<9} {decisions:>11,.0f} {grants:>7} {bare_rate:>11,.0f} "
        f"{decisions / bare_rate:>6.2f} {peak_kb / 1024:>10.0f} MB {sent:>6} {too_many:>5}"
    )


@contextmanager
def fresh(kind: str, args: argparse.Namespace) -> Iterator[str]:
    with STORES[kind](args) as target:
        yield target


STORES: dict[str, Callable[[argparse.Namespace], Any]] = {
    "sqlite": lambda args: sqlite_store(),
    "postgres": lambda args: postgres_store(args.postgres_url),
    "redis": lambda args: redis_store(args.redis_url),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0, help="real seconds per run")
    parser.add_argument("--simulated", type=float, default=60.0, help="budget seconds per run")
    parser.add_argument("--backends", default="sqlite,postgres,redis")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument(
        "--sim-seconds", type=float, default=6.0, help="real seconds of the simulator pass"
    )
    parser.add_argument("--no-simulator", action="store_true")
    args = parser.parse_args(argv)
    if min(args.processes, args.seconds, args.simulated, args.sim_seconds) <= 0:
        parser.error("--processes, --seconds, --simulated and --sim-seconds must be positive")

    sim: Simulator | None = None
    sim_note = "429s: counted by the Strava simulator in a third, untimed pass"
    if args.no_simulator:
        sim_note = "429s: not measured here (--no-simulator); tests/strava/test_budget_concurrency"
    else:
        try:
            sim = Simulator()
        except ImportError as error:
            sim_note = f"429s: simulator unavailable ({error}); the budget tests count them"

    end = SIM_START + timedelta(seconds=args.simulated)
    print(
        f"budget gate: {args.processes} processes, {args.simulated:g} simulated s "
        f"({SIM_START:%H:%M:%S} -> {end:%H:%M:%S} UTC) in {args.seconds:g} real s per run"
    )
    print(
        f"limits {LIMIT}/15 min overall and read, 50/15 min per athlete; priorities in turn, "
        f"{ATHLETES} athletes; expected grants: {LIMIT} per 15-minute window touched"
    )
    print(sim_note)
    print()
    print(
        f"{'backend':<9} {'decisions/s':>11} {'grants':>7} {'bare ops/s':>11} "
        f"{'ratio':>6} {'peak RSS':>13} {'sent':>6} {'429s':>5}"
    )
    try:
        for kind in [name.strip() for name in args.backends.split(",") if name.strip()]:
            if kind not in STORES:
                parser.error(f"unknown backend {kind!r}; choose from {', '.join(STORES)}")
            try:
                context = fresh(kind, args)
                target = context.__enter__()
            except Exception as error:
                reason = str(error).strip().splitlines()[0] if str(error).strip() else error
                print(f"{kind:<9} skipped: not reachable ({reason})")
                continue
            try:
                print(bench(kind, target, args, sim), flush=True)
            finally:
                context.__exit__(None, None, None)
    finally:
        if sim is not None:
            sim.close()
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(
        "decisions/s: the gate's answers per second, all processes together; ratio: that "
        "over the bare loop's operations per second;\nsent: grants sent to the simulator in "
        "the untimed pass, 429s: its answers 429 (must be 0)."
    )
    print(f"peak RSS: the largest worker process; this process: {parent:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
