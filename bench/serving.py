"""What a person feels of fitcoach under the peak hour's load, on SQLite and PostgreSQL.

Loads 1,000 athletes × 1,000 activities (three years each) into SQLite and into
PostgreSQL through the project's migrations, serves fitcoach's real app in its own
process (uvicorn with the ``fitcoach.app:create_app_from_env`` factory, as ``fitcoach
serve`` runs it; ``--workers`` web processes, 1 by default), and sends ``GET /`` (the
dashboard page) and ``GET /api/strava/activities`` from an open-loop load generator in
its own process (bench/serving_load.py): ``--rate`` requests a second on a fixed
schedule, each for a random athlete's signed session, whether or not the earlier ones
were answered. Each request's latency runs from the time it was due, so queueing counts.

The goal: at 60 dashboard pages a second (the peak hour of 100,000 athletes), p99 under
300 ms on the 2-core machine, on both databases. The report gives, per database and
endpoint, the offered and achieved rate, p50/p90/p99/max latency, errors, the server's
CPU (in all and per request) and peak memory, the time of a fixed reference loop just
before and after the run (the machine's own speed, so that a slower machine is not read
as a slower fitcoach: a one-process server near a full core falls behind when the machine
slows), and a PASS or MISS line; ``--find-rate`` then searches for the
highest offered rate that still meets the goal. Every athlete is synced and not dirty,
and Strava points at a local listener that counts connections: the run must make none.

    uv run python bench/serving.py [--rate 60] [--seconds 30] [--warmup 5] [--workers 1]
        [--databases sqlite,postgres] [--endpoints dashboard,activities] [--find-rate]
        [--athletes 1000] [--activities 1000] [--keep]

``--keep`` keeps both stores for the next run (a week at most: their newest activities
are as old as the load).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import itsdangerous
from cryptography.fernet import Fernet
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from fitcoach.core.settings import Settings
from serving_store import (
    FIRST_ATHLETE,
    SESSION_VERSION,
    BenchError,
    drop_postgres_store,
    postgres_admin,
    prepare_store,
)

BENCH = Path(__file__).parent
SECRET_KEY = "bench-serving-secret-key"
GOAL_MS = 300.0
CONNECTIONS = 256  # the most the load generator opens; beyond, requests wait their turn
# Squares summed by the reference loop: about 20 ms on one core of the 2-core machine.
REFERENCE_LOOP = 200_000
TIMEOUT = 15.0  # seconds before a request counts as failed (the app answers 503 after 10)
FIND_STEPS = 5  # runs of the --find-rate search
ENDPOINTS = {
    "dashboard": "/",
    "activities": "/api/strava/activities",
    "partial": "/partials/dashboard",
    "performance": "/partials/performance",
}
APP = "fitcoach.app:create_app_from_env"


# --- sessions, Strava, the server ---------------------------------------------------------


def session_cookie(athlete_id: int, csrf: str) -> str:
    """The cookie Starlette's SessionMiddleware would set after the login (same signer),
    with the login's version and times as fitcoach.web.sessions writes them."""
    stamp = int(time.time())
    login = {
        "athlete_id": athlete_id,
        "session_version": SESSION_VERSION,
        "issued_at": stamp,
        "seen_at": stamp,
        "csrf": csrf,
    }
    payload = b64encode(json.dumps(login).encode())
    return itsdangerous.TimestampSigner(SECRET_KEY).sign(payload).decode()


class StravaListener:
    """Stands where Strava would be and counts every connection made to it (want: none)."""

    def __init__(self) -> None:
        listener = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                listener.connections += 1
                self.request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
                )

        self.connections = 0
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """fitcoach's web server in its own process (with ``--workers`` > 1, uvicorn's
    supervisor and its web processes)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def pids(self) -> list[int]:
        """The server's process and its descendants."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        tree, frontier = [self.process.pid], [self.process.pid]
        while frontier:
            frontier = [pid for pid, parent in parents.items() if parent in frontier]
            tree += frontier
        return tree

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def peak_rss_kb(self) -> list[int]:
        """Each process's peak resident memory (VmHWM), the server's own first."""
        return [proc_status_kb(pid, "VmHWM") for pid in self.pids()]

    def tail(self) -> str:
        with contextlib.suppress(OSError):
            lines = self.log.read_text(errors="replace").strip().splitlines()
            return " | ".join(lines[-3:])
        return ""


def server_env(
    database: URL, data_dir: Path, strava: str, options: argparse.Namespace
) -> dict[str, str]:
    # No setting leaks in from the machine (as in the tests); the embedded mode otherwise.
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env.update(
        DATABASE_URL=database.render_as_string(hide_password=False),
        DATA_DIR=str(data_dir),
        SECRET_KEY=SECRET_KEY,
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        STRAVA_BASE_URL=strava,
        STRAVA_CLIENT_ID="1",
        STRAVA_CLIENT_SECRET="bench",
    )
    if options.read_concurrency:
        env["READ_CONCURRENCY"] = str(options.read_concurrency)
    return env


def start_server(env: dict[str, str], workers: int, log: Path) -> Server:
    port = free_port()
    command = [
        *(sys.executable, "-m", "uvicorn", "--factory", APP),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--no-access-log", "--timeout-worker-healthcheck", "60"),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with status {process.returncode}: {server.tail()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise BenchError(f"the server did not answer /healthz within 90 s: {server.tail()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def proc_status_kb(pid: int, field_name: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def check_answer(server: Server, path: str, session: tuple[int, str], stored: int) -> None:
    """One request before the run: the minted session is accepted, the answer is real."""
    athlete, cookie = session
    response = httpx.get(
        f"http://127.0.0.1:{server.port}{path}",
        headers={"cookie": f"fitcoach_session={cookie}"},
        timeout=60,
    )
    if response.status_code != 200:
        raise BenchError(f"fitcoach answered {response.status_code} to {path}: {server.tail()}")
    if path == ENDPOINTS["activities"]:
        answer = response.json()
        want = min(stored, 50)  # a page
        if len(answer["activities"]) != want or answer["freshness"]["refreshed"]:
            raise BenchError(f"{path} for athlete {athlete} did not serve {want} stored activities")
    elif (
        path in (ENDPOINTS["dashboard"], ENDPOINTS["partial"])
        and "activities stored" not in response.text
    ):
        raise BenchError(f"{path} for athlete {athlete} did not show the stored activities")


# --- one run at one rate ------------------------------------------------------------------


@dataclass
class Run:
    rate: float  # offered, requests a second
    seconds: float
    latencies: list[float] = field(default_factory=list)  # of the measured requests, s
    errors: list[str] = field(default_factory=list)
    answered: int = 0  # successful answers received within the measured window
    late_p99: float = 0.0  # how late the generator sent requests against their due time, s
    peak_in_flight: int = 0
    server_cpu: float = 0.0  # share of one core
    loader_cpu: float = 0.0
    machine_busy: float = 0.0  # share of all cores, other jobs included
    server_peak_kb: list[int] = field(default_factory=list)
    loader_peak_kb: int = 0
    # The reference loop's time just before and just after the run, ms (see reference_ms).
    reference: tuple[float, float] = (0.0, 0.0)

    @property
    def achieved(self) -> float:
        return self.answered / self.seconds

    @property
    def cpu_per_request_ms(self) -> float:
        """The server's CPU time per answered request: what a page costs fitcoach."""
        return self.server_cpu * self.seconds / max(self.answered, 1) * 1000

    def quantile(self, q: float) -> float:
        """Nearest-rank percentile ``q`` (0–100) of the latencies, in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)] * 1000

    @property
    def passed(self) -> bool:
        return not self.errors and self.quantile(99) < GOAL_MS


def reference_ms() -> float:
    """How long a fixed pure-Python loop takes now on one core (median of five), in ms.

    The same work every time: when it takes longer, the machine is slower (other jobs, a
    virtual machine's host), not fitcoach. Timed while the server is idle, just before and
    just after each run, it tells a slow machine from a slow page."""
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        sum(i * i for i in range(REFERENCE_LOOP))
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def drive(
    server: Server,
    path: str,
    sessions: list[tuple[int, str]],
    rate: float,
    options: argparse.Namespace,
) -> Run:
    orders = {
        "port": server.port,
        "path": path,
        "sessions": sessions,
        "rate": rate,
        "warmup": options.warmup,
        "seconds": options.seconds,
        "connections": CONNECTIONS,
        "timeout": TIMEOUT,
        "seed": random.randrange(2**32),
    }
    before = reference_ms()
    loader = subprocess.Popen(
        [sys.executable, str(BENCH / "serving_load.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert loader.stdin is not None and loader.stdout is not None
    loader.stdin.write(json.dumps(orders))
    loader.stdin.close()
    marks: dict[str, tuple[float, float, tuple[float, float]]] = {}
    result: dict[str, Any] | None = None
    for line in loader.stdout:
        word = line.strip()
        if word in ("measuring", "measured"):
            marks[word] = (time.monotonic(), server.cpu_seconds(), machine_busy())
        elif word.startswith("{"):
            result = json.loads(word)
    if loader.wait() != 0 or result is None or len(marks) != 2:
        raise BenchError(f"the load generator failed (status {loader.returncode})")
    after = reference_ms()
    (t0, s0, (b0, all0)), (t1, s1, (b1, all1)) = marks["measuring"], marks["measured"]
    return Run(
        rate=rate,
        seconds=options.seconds,
        latencies=result["latencies"],
        errors=result["errors"],
        answered=int(result["answered_in_window"]),
        late_p99=float(result["late_p99"]),
        peak_in_flight=int(result["peak_in_flight"]),
        server_cpu=(s1 - s0) / (t1 - t0),
        loader_cpu=float(result["cpu_seconds"]) / (t1 - t0),
        machine_busy=(b1 - b0) / max(all1 - all0, 1.0),
        server_peak_kb=server.peak_rss_kb(),
        loader_peak_kb=int(result["peak_rss_kb"]),
        reference=(before, after),
    )


def settle(server: Server, limit: float = 30.0) -> None:
    """Wait (up to ``limit`` s) until the server is nearly idle: an overloaded run may
    leave it working through requests its clients gave up on."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(0.5)
        if server.cpu_seconds() - before < 0.05:
            return


# --- the report ---------------------------------------------------------------------------


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


HEADER = (
    f"  {'':<22}{'offered':>8}{'achieved':>9}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
    f"{'max ms':>8}{'errors':>7}{'server':>8}{'CPU/req':>8}{'machine':>8}{'ref ms':>12}"
    f"{'late ms':>8}{'in flight':>10}{'peak RSS':>9}"
)


def run_line(label: str, run: Run) -> str:
    verdict = "PASS" if run.passed else "MISS"
    return (
        f"  {label:<22}{run.rate:>8.1f}{run.achieved:>9.1f}{run.quantile(50):>8.1f}"
        f"{run.quantile(90):>8.1f}{run.quantile(99):>8.1f}{run.quantile(100):>8.1f}"
        f"{len(run.errors):>7}{run.server_cpu:>8.0%}{run.cpu_per_request_ms:>8.1f}"
        f"{run.machine_busy:>8.0%}{f'{run.reference[0]:.0f} → {run.reference[1]:.0f}':>12}"
        f"{run.late_p99 * 1000:>8.1f}{run.peak_in_flight:>10}{mb(max(run.server_peak_kb)):>9}"
        f"  {verdict}"
    )


def verdict_line(database: str, path: str, run: Run) -> str:
    verdict = "PASS" if run.passed else "MISS"
    errors = f"{len(run.errors)} errors" + (
        f" ({', '.join(sorted(set(run.errors))[:4])})" if run.errors else ""
    )
    return (
        f"{verdict} {database} GET {path}: p99 {run.quantile(99):.0f} ms "
        f"{'<' if run.quantile(99) < GOAL_MS else '≥'} {GOAL_MS:.0f} ms at {run.rate:g} "
        f"requests/s offered ({run.achieved:.1f}/s achieved), {errors}, "
        f"server peak RSS {mb(max(run.server_peak_kb))}"
    )


@dataclass
class Outcome:
    database: str
    path: str
    run: Run  # at --rate
    search: list[Run] = field(default_factory=list)  # --find-rate's steps, in order

    @property
    def best(self) -> Run | None:
        """The highest offered rate that met the goal, of all the runs."""
        met = [run for run in (self.run, *self.search) if run.passed]
        return max(met, key=lambda run: run.rate, default=None)


def find_rate(
    server: Server,
    database: str,
    path: str,
    sessions: list[tuple[int, str]],
    first: Run,
    options: argparse.Namespace,
) -> list[Run]:
    """The highest rate meeting the goal, in a few steps: double from ``--rate`` (or
    halve) until the goal flips, then halve the interval between the two."""
    low = first.rate if first.passed else None
    high = None if first.passed else first.rate
    runs: list[Run] = []
    for _ in range(FIND_STEPS):
        if high is None:
            rate = 2 * (low or options.rate)
        elif low is None:
            rate = high / 2
        else:
            if high - low <= max(0.1 * low, 1.0):
                break
            rate = (low + high) / 2
        rate = float(max(round(rate), 1))
        settle(server)
        run = drive(server, path, sessions, rate, options)
        print(run_line(f"{database} find-rate", run), flush=True)
        runs.append(run)
        if run.passed:
            low = rate if low is None else max(low, rate)
        else:
            high = rate if high is None else min(high, rate)
    return runs


def measure(
    kind: str,
    url: URL,
    options: argparse.Namespace,
    workdir: Path,
    strava: StravaListener,
) -> list[Outcome]:
    rng = random.Random(7)
    sessions = [
        (FIRST_ATHLETE + i, session_cookie(FIRST_ATHLETE + i, f"csrf-{rng.getrandbits(64):x}"))
        for i in range(options.athletes)
    ]
    outcomes = []
    for name in options.endpoints:
        path = ENDPOINTS[name]
        data_dir = workdir / f"data-{kind}-{name}"
        env = server_env(url, data_dir, strava.url, options)
        server = start_server(env, options.workers, workdir / f"server-{kind}-{name}.log")
        try:
            check_answer(server, path, sessions[0], options.activities)
            print(f"\n{kind} GET {path}", flush=True)
            print(HEADER, flush=True)
            run = drive(server, path, sessions, options.rate, options)
            print(run_line(kind, run), flush=True)
            outcome = Outcome(kind, path, run)
            if options.find_rate:
                outcome.search = find_rate(server, kind, path, sessions, run, options)
            if len(run.server_peak_kb) > 1:
                sizes = ", ".join(mb(kb) for kb in run.server_peak_kb)
                print(f"  peak RSS of the server's processes (supervisor first): {sizes}")
        finally:
            stop_server(server)
        print("  " + verdict_line(kind, path, run), flush=True)
        if options.find_rate:
            best = outcome.best
            tried = sorted({r.rate for r in (run, *outcome.search)})
            print(
                f"  highest rate meeting p99 < {GOAL_MS:.0f} ms: "
                + (f"{best.rate:g} requests/s" if best else f"none (from {tried[0]:g})")
                + f" (tried {', '.join(f'{r:g}' for r in tried)})",
                flush=True,
            )
        outcomes.append(outcome)
    return outcomes


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, no usage block: what was wrong."""
        self.exit(2, f"{self.prog}: {message}\n")


def positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
        return number

    parse.__name__ = kind.__name__
    return parse


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = Parser(
        prog="serving.py",
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rate", type=positive(float), default=60.0, help="requests a second")
    parser.add_argument("--seconds", type=positive(float), default=30.0, help="measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds at the rate first")
    parser.add_argument("--workers", type=positive(int), default=1, help="web processes")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--endpoints", default="dashboard,activities", help=f"any of {','.join(ENDPOINTS)}"
    )
    parser.add_argument(
        "--find-rate",
        action="store_true",
        help=f"then search for the highest rate meeting p99 < {GOAL_MS:.0f} ms",
    )
    parser.add_argument("--athletes", type=positive(int), default=1000)
    parser.add_argument("--activities", type=positive(int), default=1000, help="per athlete")
    parser.add_argument(
        "--read-concurrency",
        type=int,
        default=0,
        help="READ_CONCURRENCY for the server (0: its default, one page read per core)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the loaded stores and reuse them when the sizes match "
        "(without it, each store is loaded afresh and removed at the end)",
    )
    parser.add_argument(
        "--store-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fitcoach-bench-serving",
        help="where --keep keeps the SQLite store",
    )
    options = parser.parse_args(argv)
    databases = [d.strip() for d in options.databases.split(",") if d.strip()]
    endpoints = [e.strip() for e in options.endpoints.split(",") if e.strip()]
    if not databases or set(databases) - {"sqlite", "postgres"}:
        parser.error("--databases: a comma-separated list of sqlite and postgres")
    if not endpoints or set(endpoints) - set(ENDPOINTS):
        parser.error(f"--endpoints: a comma-separated list of {', '.join(ENDPOINTS)}")
    if options.warmup < 0:
        parser.error("--warmup must not be negative")
    if options.read_concurrency < 0:
        parser.error("--read-concurrency must be 0 (one per core) or more")
    options.databases, options.endpoints = databases, endpoints
    return options


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    options = parse_options()
    began = time.monotonic()
    print(
        f"fitcoach serving: {options.athletes:,} athletes × {options.activities:,} activities; "
        f"open loop at {options.rate:g} requests/s for {options.seconds:g} s after "
        f"{options.warmup:g} s of warm-up; {options.workers} web process"
        f"{'es' if options.workers > 1 else ''}; {os.cpu_count()} cores; "
        f"load average {load_average()}",
        flush=True,
    )
    print(
        "columns: offered and achieved requests/s; latency from each request's due time; "
        "server = its CPU (one core = 100 %); CPU/req = its CPU ms per answered request; "
        "machine = all cores busy, other jobs included; ref ms = a fixed Python loop timed "
        "just before → after the run (the same work: longer means a slower machine, not a "
        "slower fitcoach); late = the generator's p99 lateness sending; in flight = most "
        "requests open at once",
        flush=True,
    )
    if "postgres" in options.databases:
        try:
            postgres_admin().dispose()
        except BenchError as error:
            print(f"postgres: skipped, SQLite only ({error})", flush=True)
            options.databases.remove("postgres")
    strava = StravaListener()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="fitcoach-bench-serving-") as directory:
        workdir = Path(directory)
        try:
            for kind in options.databases:
                store_dir = options.store_dir if options.keep else workdir
                store = prepare_store(
                    kind, options.athletes, options.activities, store_dir, options.keep
                )
                how = (
                    "kept from an earlier run"
                    if store.loaded_in is None
                    else f"loaded in {store.loaded_in:.0f} s"
                )
                print(f"  {kind}: store of {store.size / 2**30:.2f} GiB, {how}", flush=True)
                outcomes += measure(kind, store.url, options, workdir, strava)
        finally:
            strava.close()
            # The SQLite store lives in workdir; PostgreSQL's goes too, even half-loaded.
            if not options.keep and "postgres" in options.databases:
                with contextlib.suppress(BenchError, SQLAlchemyError):
                    drop_postgres_store()
            shutil.rmtree(workdir, ignore_errors=True)
    if not outcomes:
        raise BenchError("nothing was measured")
    print(f"\nsummary (goal: p99 < {GOAL_MS:.0f} ms at {options.rate:g} requests/s, no errors):")
    for outcome in outcomes:
        print("  " + verdict_line(outcome.database, outcome.path, outcome.run))
    if options.find_rate:
        for outcome in outcomes:
            best = outcome.best
            print(
                f"  highest rate meeting the goal, {outcome.database} GET {outcome.path}: "
                + (f"{best.rate:g} requests/s (p99 {best.quantile(99):.0f} ms)" if best else "none")
            )
    runs = [run for outcome in outcomes for run in (outcome.run, *outcome.search)]
    print(
        f"peak RSS: fitcoach server {mb(max(max(run.server_peak_kb) for run in runs))} "
        f"(the largest process), load generator {mb(max(run.loader_peak_kb for run in runs))}"
    )
    print(f"Strava connections attempted: {strava.connections} (want 0)")
    minutes, seconds = divmod(round(time.monotonic() - began), 60)
    print(f"run time {minutes} min {seconds:02d} s; load average at the end {load_average()}")
    if strava.connections:
        raise BenchError("fitcoach called Strava while serving from the store")


if __name__ == "__main__":
    try:
        main()
    except BenchError as failure:
        print(f"serving benchmark: {failure}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("serving benchmark: interrupted", file=sys.stderr)
        sys.exit(130)
