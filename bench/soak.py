"""A soak of the production mode at the seed's scale: one day of athletes, compressed.

    uv run python bench/soak.py [--athletes 10000] [--minutes 20] [--limits-scale 10]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/14] [--json FILE]

On loopback: the Strava simulator with N athletes (`fitcoach simulator`), `fitcoach serve
--workers 2` and two `fitcoach worker` processes on PostgreSQL (a database of the run's
own, dropped at the end) and Redis (one database, emptied). Every athlete connects
through the real login (the simulator's automated approval). The connection's backfills
are set-up: when they are done, the web and the workers are restarted on an emptied
Redis database with Strava's limits times `--limits-scale`, and the simulator is given
the same limits with its counters reset. Then one day of the capacity model's default
mix (`fitcoach.capacity.population`: uploads, edits, deletions as the simulator's push
events; page views; refresh presses; new athletes logging in) is replayed at its
simulated times, compressed into `--minutes` of wall time.

Strava's windows cannot be compressed (the simulator and fitcoach both count real
quarter hours), so during the replay the 15-minute limits are set to the daily ones:
the day's limit applies to the compressed day as a whole, and the busiest 15 simulated
minutes are measured from the simulator's counter, polled every second.

It reports events lost (must be 0), Strava's 429s (0), failed page views (0), page
p50/p99, webhook acknowledgement p99 (Strava's own timing of its deliveries), the
largest queue age of a webhook event (stored to handled), worker busy share (CPU
seconds of the two workers over the replay's wall time), database size per athlete, and
what Strava asks for in a limit-increase request: daily active athletes, requests per
day, peak 15-minute requests. Every loop is bounded by the day's events and time-outs;
it stops by itself and kills every process it started.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the production test's process helpers
    sys.path.insert(0, str(ROOT))

from fitcoach.capacity.options import CapacityOptions, scaled_limits  # noqa: E402
from fitcoach.capacity.population import DAY, Kind, generate  # noqa: E402
from tests.production.cluster import (  # noqa: E402
    Service,
    answers,
    cpu_seconds,
    fitcoach,
    run,
    wait_for,
    web_processes,
)

SCOPE = "read,activity:read_all"
# Limits while the athletes connect (set-up, not measured): nothing waits on the budget.
SETUP_LIMIT = 10_000_000
WEB_PROCESSES = 2
WORKER_THREADS = 4
DRIVER_THREADS = 24
# The new athletes' history (CAPACITY.md's --history-days); those registered before the
# day have a short one, as in the capacity model (their backfill is set-up).
JOIN_HISTORY_DAYS = 730
SETUP_HISTORY_DAYS = 3
WAIT_S = 60.0
DRAIN_S = 300.0
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Athlete:
    """One simulated person's login: their session cookie and CSRF token."""

    strava_id: int
    cookie: str = ""
    csrf: str = ""
    ready: threading.Event = field(default_factory=threading.Event)


@dataclass
class Figures:
    views: int = 0
    failed_views: int = 0
    view_ms: list[float] = field(default_factory=list)
    presses: int = 0
    failed_presses: int = 0
    failures: list[str] = field(default_factory=list)  # what the failed requests got
    uploads: int = 0
    edits: int = 0
    deletes: int = 0
    joins: int = 0
    failed_control: int = 0
    late_s: float = 0.0  # how far behind schedule the driver fell at most
    viewers: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Browsers:
    """One httpx client per driver thread; each request carries one athlete's cookie."""

    def __init__(self, web_url: str) -> None:
        self.web_url = web_url
        self.local = threading.local()

    def client(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = httpx.Client(base_url=self.web_url, timeout=30)
        client.cookies.clear()
        return client

    def request(self, athlete: Athlete, method: str, path: str, **options: Any) -> httpx.Response:
        client = self.client()
        headers = dict(options.pop("headers", {}))
        if athlete.cookie:
            headers["cookie"] = f"fitcoach_session={athlete.cookie}"
        response = client.request(method, path, headers=headers, **options)
        fresh = response.cookies.get("fitcoach_session")
        if fresh:
            athlete.cookie = fresh
        return response


def login(browsers: Browsers, sim: httpx.Client, athlete: Athlete) -> None:
    """Login with Strava: fitcoach's redirect, the simulator's approval, the callback."""
    start = browsers.request(athlete, "GET", "/auth/strava/login", follow_redirects=False)
    if start.status_code != 303:
        raise RuntimeError(f"login answered {start.status_code}: {start.text[:200]}")
    authorize = httpx.URL(start.headers["location"]).copy_merge_params(
        {"decision": "approve", "athlete_id": str(athlete.strava_id)}
    )
    approval = sim.get(str(authorize))
    if approval.status_code not in (302, 303):
        raise RuntimeError(f"approval answered {approval.status_code}: {approval.text[:200]}")
    callback = httpx.URL(approval.headers["location"])
    back = browsers.request(athlete, "GET", callback.raw_path.decode(), follow_redirects=False)
    if back.status_code != 303 or not athlete.cookie:
        raise RuntimeError(f"callback answered {back.status_code}: {back.text[:200]}")
    athlete.ready.set()


class Site:
    """The processes of the installation, and what the driver needs to reach them."""

    def __init__(self, options: argparse.Namespace, workdir: Path) -> None:
        self.options = options
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True)
        self.metrics_dir = workdir / "metrics"
        self.metrics_dir.mkdir()
        sim_port, web_port = _free_port(), _free_port()
        self.sim_url = f"http://127.0.0.1:{sim_port}"
        self.web_url = f"http://127.0.0.1:{web_port}"
        self.metrics_token = secrets.token_urlsafe(16)
        admin = make_url(options.database_url)
        self.admin_url = admin
        self.db_name = f"fitcoach_soak_{os.getpid()}"
        self.db_url: URL = admin.set(database=self.db_name)
        self.env = {
            **os.environ,
            "FITCOACH_MODE": "production",
            "DATABASE_URL": self.db_url.render_as_string(hide_password=False),
            "REDIS_URL": options.redis_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PUBLIC_URL": self.web_url,
            "STRAVA_BASE_URL": self.sim_url,
            "STRAVA_CLIENT_ID": "1",
            "STRAVA_CLIENT_SECRET": "simulator-secret",
            "STRAVA_WEBHOOK_VERIFY_TOKEN": secrets.token_urlsafe(16),
            "STRAVA_WEBHOOK_CALLBACK_SECRET": secrets.token_urlsafe(32),
            "METRICS_TOKEN": self.metrics_token,
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            "DATA_DIR": str(workdir / "data"),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "text",
            "PYTHONUNBUFFERED": "1",
        }
        self.set_limits(dict.fromkeys(("short", "long", "read_short", "read_long"), SETUP_LIMIT))
        limit = str(SETUP_LIMIT)
        self.simulator = Service(
            "simulator",
            fitcoach(
                "simulator",
                *("--port", str(sim_port), "--athletes", str(options.athletes)),
                *("--history-days", str(SETUP_HISTORY_DAYS), "--log-level", "warning"),
                *("--short-limit", limit, "--long-limit", limit),
                *("--read-short-limit", limit, "--read-long-limit", limit),
            ),
            self.env,
            self.logs,
        )
        serve = fitcoach("serve", "--port", str(web_port), "--workers", str(WEB_PROCESSES))
        work = fitcoach("worker", "--concurrency", str(WORKER_THREADS))
        self.web = Service("web", serve, self.env, self.logs)
        self.workers = [Service(f"worker-{n}", work, self.env, self.logs) for n in (1, 2)]

    def set_limits(self, limits: dict[str, int]) -> None:
        for name, value in limits.items():
            self.env[f"STRAVA_{name.upper()}_LIMIT"] = str(value)

    @property
    def services(self) -> list[Service]:
        return [self.simulator, self.web, *self.workers]

    def create_database(self) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()

    def drop_database(self) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()

    def flush_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(self.options.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()

    def start_fitcoach(self) -> None:
        self.web.env = self.workers[0].env = self.workers[1].env = dict(self.env)
        self.web.start()
        for worker in self.workers:
            worker.start()
        wait_for(lambda: answers(f"{self.web_url}/readyz"), "the web processes", 120)
        wait_for(lambda: len(web_processes(self.web)) == WEB_PROCESSES, "both web processes")

    def stop_fitcoach(self) -> None:
        for service in (self.web, *self.workers):
            service.signal(signal.SIGTERM)
        for service in (self.web, *self.workers):
            if service.wait(60) is None:
                service.kill()

    def metrics(self) -> dict[str, float]:
        from prometheus_client.parser import text_string_to_metric_families

        body = httpx.get(
            f"{self.web_url}/metrics",
            headers={"Authorization": f"Bearer {self.metrics_token}"},
            timeout=30,
        ).text
        sums: dict[str, float] = defaultdict(float)
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == "fitcoach_strava_requests_total":
                    sums["strava_sent"] += sample.value
                    if sample.labels.get("outcome") == "rate_limited":
                        sums["strava_429"] += sample.value
        return dict(sums)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scalar(engine: Any, sql: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


class UsagePoller:
    """The simulator's read counter, polled every second (for the peak 15 minutes)."""

    def __init__(self, sim: httpx.Client) -> None:
        self.sim = sim
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(1.0):
            try:
                usage = self.sim.get("/_sim/usage").json()
            except httpx.HTTPError:
                continue
            app = usage.get("applications", {}).get("1")
            if app is not None:
                self.samples.append((time.monotonic(), int(app["read"]["long"]["usage"])))

    def peak(self, window_s: float) -> int:
        """Most reads within any `window_s` of wall time."""
        times = [t for t, _ in self.samples]
        best = 0
        for i, (at, count) in enumerate(self.samples):
            j = bisect.bisect_left(times, at - window_s, 0, i + 1)
            before = self.samples[j - 1][1] if j > 0 else self.samples[0][1]
            best = max(best, count - before)
        return best


def soak(options: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    site = Site(options, workdir)
    phases: dict[str, float] = {}
    began = time.monotonic()
    site.create_database()
    engine = create_engine(site.db_url)
    sim = httpx.Client(base_url=site.sim_url, timeout=WAIT_S)
    pool = ThreadPoolExecutor(DRIVER_THREADS)
    try:
        # Set-up: processes, release, subscription, every athlete's login and backfill.
        site.flush_redis()
        site.simulator.start()
        wait_for(lambda: answers(f"{site.sim_url}/_sim"), "the simulator", 300)
        run(fitcoach("db", "upgrade"), site.env)
        site.start_fitcoach()
        run(fitcoach("webhooks", "register"), site.env)
        browsers = Browsers(site.web_url)
        ids = [int(a["id"]) for a in sim.get("/_sim/athletes").json()]
        people = [Athlete(strava_id) for strava_id in ids]
        started = time.monotonic()
        list(pool.map(lambda a: login(browsers, sim, a), people))
        phases["logins"] = round(time.monotonic() - started, 1)
        wait_for(
            lambda: (
                scalar(engine, "SELECT count(*) FROM sync_states WHERE backfill_done")
                >= len(people)
            ),
            "every backfill",
            DRAIN_S * 4,
        )
        phases["setup"] = round(time.monotonic() - began, 1)

        # The day begins: Strava's limits times the scale, fresh counters everywhere.
        site.stop_fitcoach()
        site.flush_redis()
        limits = scaled_limits(options.limits_scale)
        day_limits = {
            "short": limits["long_limit"],
            "long": limits["long_limit"],
            "read_short": limits["read_long_limit"],
            "read_long": limits["read_long_limit"],
        }
        site.set_limits(day_limits)
        site.start_fitcoach()
        sim.post("/_sim/limits", json={f"{k}_limit": v for k, v in day_limits.items()})
        sim.post("/_sim/usage/reset")
        sim.delete("/_sim/deliveries")
        since = scalar(engine, "SELECT coalesce(max(id), 0) FROM webhook_events")
        before = site.metrics()
        figures = replay(options, site, browsers, sim, people, pool)
        replay_s = figures.pop("wall_s")
        phases["replay"] = round(replay_s, 1)

        # Drain: every delivery made, every stored event handled.
        drained = time.monotonic()
        sim.post(f"/_sim/deliveries/wait?timeout={DRAIN_S}", timeout=DRAIN_S + 30)
        pending = f"SELECT count(*) FROM webhook_events WHERE id > {since} AND processed_at IS NULL"
        wait_for(lambda: scalar(engine, pending) == 0, "every event handled", DRAIN_S)
        phases["drain"] = round(time.monotonic() - drained, 1)
        after = site.metrics()
        deliveries = sim.get("/_sim/deliveries").json()["deliveries"]
        usage = sim.get("/_sim/usage").json()
        stored = scalar(engine, f"SELECT count(*) FROM webhook_events WHERE id > {since}")
        queue_age = scalar(
            engine,
            "SELECT coalesce(max(extract(epoch FROM processed_at - received_at)), 0) "
            f"FROM webhook_events WHERE id > {since}",
        )
        size = scalar(engine, "SELECT pg_database_size(current_database())")
        athletes_held = scalar(engine, "SELECT count(*) FROM athletes")
    finally:
        # Every process first, whatever else fails: nothing of the soak outlives it.
        for service in site.services:
            with contextlib.suppress(Exception):
                service.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        sim.close()
        engine.dispose()
        for step in (site.drop_database, site.flush_redis):
            with contextlib.suppress(Exception):
                step()

    peak = figures.pop("peak_15min")
    acks = [a["elapsed_ms"] for d in deliveries for a in d["attempts"] if a["ok"]]
    events = {json.dumps(d["event"], sort_keys=True) for d in deliveries}
    undelivered = [d for d in deliveries if d["outcome"] != "delivered"]
    app = usage.get("applications", {}).get("1", {})
    compression = DAY / (options.minutes * 60)
    result = {
        "athletes": options.athletes,
        "minutes": options.minutes,
        "limits_scale": options.limits_scale,
        "compression": round(compression, 1),
        "phases_s": phases,
        "events_emitted": len(events),
        "events_stored": int(stored),
        "events_lost": max(0, len(events) - int(stored)) + len(undelivered),
        "strava_429": int(after.get("strava_429", 0) - before.get("strava_429", 0)),
        **figures,
        "webhook_ack_p50_ms": round(percentile(acks, 0.5), 1),
        "webhook_ack_p99_ms": round(percentile(acks, 0.99), 1),
        "queue_age_max_s": round(float(queue_age), 1),
        "database_bytes_per_athlete": int(size) // max(1, int(athletes_held)),
        "requests_per_day": int(app.get("read", {}).get("long", {}).get("usage", 0)),
        "overall_requests_per_day": int(app.get("overall", {}).get("long", {}).get("usage", 0)),
        "peak_15min_requests": peak,
        "total_s": round(time.monotonic() - began, 1),
    }
    return result


def replay(
    options: argparse.Namespace,
    site: Site,
    browsers: Browsers,
    sim: httpx.Client,
    people: list[Athlete],
    pool: ThreadPoolExecutor,
) -> dict[str, Any]:
    """One day of the capacity model's population, at its times, compressed."""
    population = generate(CapacityOptions(athletes=options.athletes, days=1, seed=options.seed))
    compression = DAY / (options.minutes * 60)
    figures = Figures()
    by_person: dict[int, Athlete] = dict(enumerate(people))
    activity_of: dict[int, int] = {}
    made: dict[int, threading.Event] = defaultdict(threading.Event)
    poller = UsagePoller(sim)
    workers_cpu = sum(cpu_seconds(w.pid) for w in site.workers)

    def view(person: int) -> None:
        athlete = by_person[person]
        if not athlete.ready.wait(WAIT_S):
            with figures.lock:
                figures.views += 1
                figures.failed_views += 1
            return
        started = time.perf_counter()
        try:
            response = browsers.request(athlete, "GET", "/")
            ok = response.status_code == 200
            answer = f"page view: {response.status_code}"
            if ok and not athlete.csrf:
                found = CSRF.search(response.text)
                athlete.csrf = found.group(1) if found else ""
        except httpx.HTTPError as error:
            ok, answer = False, f"page view: {error!r}"
        with figures.lock:
            figures.views += 1
            figures.viewers.add(person)
            figures.view_ms.append((time.perf_counter() - started) * 1000)
            if not ok:
                figures.failed_views += 1
                figures.failures.append(answer)

    def press(person: int) -> None:
        athlete = by_person[person]
        if not athlete.ready.wait(WAIT_S) or not athlete.csrf:
            return  # no page seen yet: there is no button to press
        try:
            response = browsers.request(
                athlete, "POST", "/api/strava/sync", headers={"x-csrf-token": athlete.csrf}
            )
            ok = response.status_code in (202, 429)  # queued, or "refreshed a minute ago"
            answer = f"refresh press: {response.status_code} {response.text[:120]}"
        except httpx.HTTPError as error:
            ok, answer = False, f"refresh press: {error!r}"
        with figures.lock:
            figures.presses += 1
            if not ok:
                figures.failed_presses += 1
                figures.failures.append(answer)

    def control(kind: Kind, person: int, upload_index: int) -> None:
        upload = population.uploads[upload_index]
        try:
            if kind is Kind.UPLOAD:
                athlete = by_person[person]
                now = int(time.time())
                spec = {
                    "start": now - upload.duration - 60,
                    "duration": upload.duration,
                    "name": upload.versions[0][1],
                }
                answer = sim.post(
                    f"/_sim/athletes/{athlete.strava_id}/activities", json={"generate": spec}
                )
                answer.raise_for_status()
                activity_of[upload_index] = int(answer.json()["id"])
                made[upload_index].set()
                with figures.lock:
                    figures.uploads += 1
                return
            if not made[upload_index].wait(WAIT_S):
                raise RuntimeError(f"upload {upload_index} was never made")
            activity = activity_of[upload_index]
            if kind is Kind.EDIT:
                sim.patch(f"/_sim/activities/{activity}", json={"name": upload.versions[-1][1]})
                with figures.lock:
                    figures.edits += 1
            else:
                sim.delete(f"/_sim/activities/{activity}")
                with figures.lock:
                    figures.deletes += 1
        except (httpx.HTTPError, RuntimeError):
            with figures.lock:
                figures.failed_control += 1

    def join(person: int) -> None:
        spec = population.people[person]
        answer = sim.post(
            "/_sim/athletes",
            json={
                "kind": spec.sport,
                "history_days": JOIN_HISTORY_DAYS,
                "seed": 7_000_000 + person,
            },
        )
        athlete = by_person[person]
        athlete.strava_id = int(answer.json()["id"])
        try:
            login(browsers, sim, athlete)
        except (httpx.HTTPError, RuntimeError):
            with figures.lock:
                figures.failed_control += 1
            return
        with figures.lock:
            figures.joins += 1

    for person in population.people[len(people) :]:
        by_person[person.index] = Athlete(0)
    poller.thread.start()
    wall_start = time.monotonic()
    futures = []
    for event in population.events:
        due = wall_start + (event.at - population.start) / compression
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            figures.late_s = max(figures.late_s, -delay)
        if event.kind is Kind.VIEW:
            futures.append(pool.submit(view, event.person))
        elif event.kind is Kind.PRESS:
            futures.append(pool.submit(press, event.person))
        elif event.kind is Kind.JOIN:
            futures.append(pool.submit(join, event.person))
        else:
            futures.append(pool.submit(control, event.kind, event.person, event.upload))
    end_of_day = wall_start + DAY / compression
    time.sleep(max(0.0, end_of_day - time.monotonic()))
    for future in futures:
        future.result(timeout=DRAIN_S)
    wall = time.monotonic() - wall_start
    poller.stop.set()
    poller.thread.join(timeout=5)
    busy = (sum(cpu_seconds(w.pid) for w in site.workers) - workers_cpu) / (wall * 2)
    return {
        "wall_s": wall,
        "page_views": figures.views,
        "failed_page_views": figures.failed_views,
        "page_p50_ms": round(percentile(figures.view_ms, 0.5), 1),
        "page_p99_ms": round(percentile(figures.view_ms, 0.99), 1),
        "refresh_presses": figures.presses,
        "failed_presses": figures.failed_presses,
        "failures": figures.failures[:20],
        "uploads": figures.uploads,
        "edits": figures.edits,
        "deletes": figures.deletes,
        "new_athletes": figures.joins,
        "failed_simulator_calls": figures.failed_control,
        "driver_late_s_max": round(figures.late_s, 1),
        "daily_active_athletes": len(figures.viewers),
        "worker_busy_share": round(busy, 3),
        "peak_15min": poller.peak(900 / compression),
    }


def server_errors(logs: Path, most: int = 80) -> list[str]:
    """The servers' error lines and what follows each (a traceback), from their logs: the
    work directory is deleted at the end, and a rare 500 would be left unexplained."""
    marks = ('"level": "error"', "Traceback", "ERROR")
    lines: list[str] = []
    for log in sorted(logs.glob("*.log")):
        taking = 0
        for line in log.read_text(errors="replace").splitlines():
            if any(mark in line for mark in marks):
                taking = 25
            if taking:
                lines.append(f"{log.stem}: {line[:2000]}")
                taking -= 1
    return lines[-most:]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--athletes", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--limits-scale", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server's admin URL; the soak creates and drops its own database",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    options = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fitcoach-soak-", dir=options.workdir) as workdir:
        result = soak(options, Path(workdir))
        result["server_errors"] = server_errors(Path(workdir) / "logs")
    text_out = json.dumps(result, indent=2)
    print(text_out)
    if options.json is not None:
        options.json.write_text(text_out + "\n")
    return result


if __name__ == "__main__":
    main()
