"""Production mode end to end: several processes of fitcoach on PostgreSQL and Redis.

On loopback: the Strava simulator, `fitcoach serve --workers 2` (two web processes on one
socket, as a host runs them) and two `fitcoach worker` processes, configured only by
environment variables, released with `fitcoach db upgrade` and `fitcoach webhooks
register`. 200 athletes connect through the real OAuth flow, and 12 more sign up with an
e-mail and a password and import files of their own (no Strava at all); those who will
revoke fitcoach on Strava's side import a file of their own too. Then a webhook storm
(creates, edits, deletions, deauthorizations, with Strava's duplicate and out-of-order
deliveries) and dashboard traffic of both kinds of athlete run together while one web
process and one worker are killed with SIGKILL and come back. Afterwards:

- the database equals the simulator's truth, athlete by athlete (nothing lost or doubled);
- the file-only accounts hold exactly their own files, and a revoked athlete's account
  exactly its own file;
- Strava never answered 429, and every call Strava saw was counted in fitcoach's metrics;
- no request got a 5xx, and the only failed requests were in flight on the killed process;
- /metrics sums the counts of both web processes (the killed one's too);
- SIGTERM stops every process cleanly.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory
from fitcoach.models import (
    Activity,
    Athlete,
    Deletion,
    ImportJob,
    StravaConnection,
    SyncState,
    WebhookEvent,
)
from fitcoach.strava.repository import load_tokens
from tests.conftest import free_port
from tests.imports.builders import fit_file, ride
from tests.imports.builders import run as run_workout
from tests.production.cluster import (
    Service,
    answers,
    cpu_seconds,
    fitcoach,
    run,
    wait_for,
    web_processes,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ATHLETES = 200
HISTORY_DAYS = 14  # about ten activities each: one backfill page
WEB_PROCESSES = 2
WORKER_THREADS = 4
# Strava's windows (the simulator's) and fitcoach's budget alike, with room for this load:
# the run stays far below them, so a 429 could only come from a budget not shared.
LIMIT = 100_000
DEAUTHORIZED = (7, 61, 122, 183)  # athletes (by index) who revoke fitcoach on Strava's side
TRAFFIC_THREADS = 4
# Accounts without Strava, each with its own files (fewer sign-ups than a web process lets
# one address make at once: they all come from loopback).
FILE_ONLY, OWN_FILES = 12, 2
PASSWORD = "smoke test password"
# Long before the simulator's history: an own file never meets a Strava activity.
OWN_START = datetime(2025, 1, 6, 6, tzinfo=UTC)
SCOPE = "read,activity:read_all"
TLS = ssl.create_default_context()  # plain http here: one context, not one per client
Job = Callable[[], Any]


@dataclass
class Call:
    """One request a browser made to fitcoach: when, and what came back."""

    path: str
    started: float
    ended: float
    status: int | None
    error: str | None = None


@dataclass
class Browser:
    """An athlete's browser: its own cookie jar, every request recorded."""

    athlete_id: int
    client: httpx.Client
    calls: list[Call] = field(default_factory=list)

    def get(self, path: str, **options: Any) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = self.client.get(path, **options)
        except httpx.TransportError as error:
            self.calls.append(Call(path, started, time.monotonic(), None, repr(error)))
            return None
        self.calls.append(Call(path, started, time.monotonic(), response.status_code))
        return response


class Simulator:
    """The simulator's control API, and Strava's API as an athlete's token sees it."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60, verify=TLS)

    def control(self, method: str, route: str, **body: Any) -> Any:
        response = self.http.request(method, f"/_sim{route}", json=body or None)
        assert response.status_code < 300, f"{method} {route}: {response.text}"
        return response.json() if response.content else None

    def activities(self, token: str) -> dict[int, dict[str, Any]]:
        """Every activity the athlete has on Strava, by id (Strava's truth)."""
        found: dict[int, dict[str, Any]] = {}
        page = 1
        while True:
            answer = self.http.get(
                "/api/v3/athlete/activities",
                params={"per_page": 200, "page": page},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 200, answer.text
            items = answer.json()
            found.update({item["id"]: item for item in items})
            if len(items) < 200:
                return found
            page += 1

    def deauthorize(self, token: str) -> None:
        """The athlete revokes fitcoach in Strava's settings: every token of the grant dies."""
        self.http.post(
            "/oauth/deauthorize", headers={"Authorization": f"Bearer {token}"}
        ).raise_for_status()


@dataclass
class Installation:
    """fitcoach in production mode on loopback: what the test starts, kills and reads."""

    sim_url: str
    web_url: str
    env: dict[str, str]
    keys: str
    metrics_dir: Path
    metrics_token: str
    simulator: Service
    web: Service
    workers: list[Service]
    engine: Engine

    @property
    def services(self) -> list[Service]:
        return [self.simulator, self.web, *self.workers]

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)


@pytest.fixture
def installation(postgres_url: URL, redis_url: str, tmp_path: Path) -> Iterator[Installation]:
    logs = tmp_path / "logs"
    logs.mkdir()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()  # as the image does: prometheus-client opens it on import
    sim_port, web_port = free_port(), free_port()
    sim_url, web_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{web_port}"
    keys = Fernet.generate_key().decode()
    metrics_token = secrets.token_urlsafe(16)
    env = {
        **os.environ,  # the isolated_settings fixture removed every fitcoach setting
        "FITCOACH_MODE": "production",
        "DATABASE_URL": postgres_url.render_as_string(hide_password=False),
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TOKEN_ENCRYPTION_KEYS": keys,
        "PUBLIC_URL": web_url,
        "STRAVA_BASE_URL": sim_url,
        "STRAVA_CLIENT_ID": "1",
        "STRAVA_CLIENT_SECRET": "simulator-secret",
        "STRAVA_WEBHOOK_VERIFY_TOKEN": secrets.token_urlsafe(16),
        "STRAVA_WEBHOOK_CALLBACK_SECRET": secrets.token_urlsafe(32),
        **{
            f"STRAVA_{name}_LIMIT": str(LIMIT)
            for name in ("SHORT", "LONG", "READ_SHORT", "READ_LONG")
        },
        "METRICS_TOKEN": metrics_token,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",
    }
    simulator_command = [
        *fitcoach()[:1],
        "-m",
        "tests.production.simulator_process",
        *("--port", str(sim_port), "--athletes", str(ATHLETES)),
        *("--history-days", str(HISTORY_DAYS), "--limit", str(LIMIT)),
        # Strava's 2 s is the acknowledgement benchmark's business; here a CI machine
        # running six busy processes may pause one for longer, and what is checked is that
        # nothing is lost (Strava's three attempts are kept).
        *("--webhook-timeout", "10"),
    ]
    serve = fitcoach("serve", "--port", str(web_port), "--workers", str(WEB_PROCESSES))
    work = fitcoach("worker", "--concurrency", str(WORKER_THREADS))
    found = Installation(
        sim_url=sim_url,
        web_url=web_url,
        env=env,
        keys=keys,
        metrics_dir=metrics_dir,
        metrics_token=metrics_token,
        simulator=Service("simulator", simulator_command, env, logs),
        web=Service("web", serve, env, logs),
        workers=[Service(f"worker-{n}", work, env, logs) for n in (1, 2)],
        engine=make_engine(postgres_url),
    )
    try:
        yield found
    finally:
        for service in found.services:
            service.kill()
            # Shown only when the test failed (pytest's captured output of the teardown).
            print(f"===== {service.name} (last lines of {service.log})\n{service.tail()}")
        found.engine.dispose()


@contextmanager
def stopwatch(phases: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    phases[name] = round(time.monotonic() - started, 1)
    print(f"smoke: {name} took {phases[name]} s", flush=True)


def run_all(jobs: list[Job], threads: int = 4) -> list[Any]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda job: job(), jobs))


def start(site: Installation) -> threading.Thread:
    """Release, then every process; registration (after the web is up) goes on meanwhile."""
    site.simulator.start()
    run(fitcoach("db", "upgrade"), site.env)  # the release step, before any process
    site.web.start()
    for worker in site.workers:
        worker.start()
    wait_for(lambda: answers(f"{site.sim_url}/_sim"), "the simulator", 120)
    wait_for(lambda: answers(f"{site.web_url}/readyz"), "the web processes", 120)
    wait_for(lambda: len(web_processes(site.web)) == WEB_PROCESSES, "both web processes")

    def register() -> None:
        assert "push subscription" in run(fitcoach("webhooks", "register"), site.env)

    registration = threading.Thread(target=register)
    registration.start()
    return registration


def connect(web_url: str, sim: Simulator, athlete_id: int) -> Browser:
    """Login with Strava, as a browser does it: fitcoach → Strava's approval → callback."""
    # A new connection per request: a kept-alive one can be closed by the server just as a
    # request goes out (a browser retries that; httpx does not), which is not the kill.
    client = httpx.Client(
        base_url=web_url,
        timeout=30,
        limits=httpx.Limits(max_keepalive_connections=0),
        verify=TLS,
    )
    browser = Browser(athlete_id, client)
    start = browser.get("/auth/strava/login", follow_redirects=False)
    assert start is not None and start.status_code == 303, start
    authorize = httpx.URL(start.headers["location"]).copy_merge_params(
        {"decision": "approve", "athlete_id": str(athlete_id)}
    )
    approval = sim.http.get(str(authorize))
    assert approval.status_code in (302, 303), approval.text
    callback = httpx.URL(approval.headers["location"])
    assert f"{callback.scheme}://{callback.netloc.decode()}" == web_url, callback
    back = browser.get(callback.raw_path.decode(), follow_redirects=False)
    assert back is not None and back.status_code == 303, back and back.text
    assert client.cookies.get("fitcoach_session"), "no session after the callback"
    return browser


def csrf_of(page: httpx.Response | None) -> str:
    assert page is not None and page.status_code == 200, page
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def import_own(browser: Browser, files: list[tuple[str, bytes]]) -> None:
    """Upload files of the athlete's own on the import page (the workers import them)."""
    token = csrf_of(browser.get("/import"))
    for name, content in files:
        answer = browser.client.post(
            "/import", data={"csrf": token}, files={"file": (name, content)}
        )
        assert answer.status_code == 303, answer.text


def own_files(index: int, count: int) -> list[tuple[str, bytes]]:
    """``count`` FIT files, a ride or a run each, a day apart."""
    found = []
    for n in range(count):
        start = OWN_START + timedelta(days=n, minutes=index)
        workout = run_workout(start, 600, seed=n) if n % 2 else ride(start, 600, seed=index)
        found.append((f"own-{index}-{n}.fit", fit_file(workout, every=5)))
    return found


def sign_up_with_files(web_url: str, index: int) -> Browser:
    """An athlete without Strava: signs up with an e-mail and a password, imports files."""
    client = httpx.Client(
        base_url=web_url,
        timeout=30,
        limits=httpx.Limits(max_keepalive_connections=0),
        verify=TLS,
    )
    browser = Browser(0, client)
    token = csrf_of(browser.get("/auth/signup"))
    email = f"own-{index}@example.com"
    answer = client.post("/auth/signup", data={"csrf": token, "email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    import_own(browser, own_files(index, OWN_FILES))
    return browser


def sources_of(sessions: sessionmaker[Session], athlete_id: int) -> list[str]:
    with sessions() as session:
        query = select(Activity.source).where(Activity.athlete_id == athlete_id)
        return sorted(session.scalars(query))


def browse(browsers: list[Browser], seed: int, stop: threading.Event) -> None:
    """Dashboard traffic: these athletes' pages and activity lists, until told to stop."""
    rng = random.Random(seed)
    while not stop.is_set():
        browser = rng.choice(browsers)
        browser.get(rng.choice(["/", "/api/strava/activities?limit=50", "/api/strava/activities"]))
        time.sleep(0.1)  # people's pace: load beside the storm, not a benchmark


def plan_storm(
    sim: Simulator, athletes: list[int], old: dict[int, list[int]], tokens: dict[int, str]
) -> tuple[list[Job], list[Job]]:
    """What happens on Strava: uploads first, then edits, deletions and deauthorizations."""
    now = int(sim.control("GET", "/clock")["now"])
    created: dict[int, list[int]] = {athlete_id: [] for athlete_id in athletes}

    def upload(athlete_id: int, n: int) -> None:
        # Both within the hour before now: newer than anything fitcoach holds.
        spec = {"start": now - 3600 + n * 1200, "duration": 600, "name": f"Smoke {n}"}
        added = sim.control("POST", f"/athletes/{athlete_id}/activities", generate=spec)
        created[athlete_id].append(int(added["id"]))

    def new(athlete_id: int, n: int) -> int:  # known once the uploads are done
        return sorted(created[athlete_id])[n]

    def edit(activity: Callable[[], int], name: str) -> None:
        sim.control("PATCH", f"/activities/{activity()}", name=name)

    def delete(activity: Callable[[], int]) -> None:
        sim.control("DELETE", f"/activities/{activity()}")

    uploads: list[Job] = []
    changes: list[Job] = []
    for a in athletes:
        uploads += [partial(upload, a, 0), partial(upload, a, 1)]
        # Uploads are listed by the incremental sync; older activities are not: an edit of
        # one is fetched by itself, a deletion needs no call at all.
        changes += [
            partial(edit, partial(new, a, 0), "New <b>"),
            partial(delete, partial(new, a, 1)),
        ]
        if len(old[a]) >= 2:
            middle, oldest = old[a][len(old[a]) // 2], old[a][0]
            changes += [
                partial(edit, partial(int, middle), "Old é"),
                partial(delete, partial(int, oldest)),
            ]
    changes += [partial(sim.deauthorize, tokens[athletes[i]]) for i in DEAUTHORIZED]
    rng = random.Random(10)
    rng.shuffle(uploads)
    rng.shuffle(changes)
    return uploads, changes


def metric_sums(text: str) -> dict[str, float]:
    """Sample name → value summed over labels, and the Strava counts the test checks."""
    sums: dict[str, float] = {"strava_counted": 0.0, "strava_rate_limited": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
            if sample.name == "fitcoach_strava_requests_total":
                if sample.labels.get("priority") != "uncounted":
                    sums["strava_counted"] += sample.value
                if sample.labels.get("outcome") == "rate_limited":
                    sums["strava_rate_limited"] += sample.value
    return sums


def process_webhook_count(directory: Path, pid: int, scratch: Path) -> float:
    """Webhook events one process counted, read from its own multiprocess files only."""
    own = scratch / str(pid)
    own.mkdir(parents=True)
    for path in directory.glob(f"*_{pid}.db"):
        shutil.copy(path, own / path.name)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(own))  # type: ignore[no-untyped-call]
    return sum(
        sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "fitcoach_webhook_events_received_total"
    )


def count(sessions: sessionmaker[Session], query: Any) -> int:
    with sessions() as session:
        return int(session.scalar(query) or 0)


def stored_activities(sessions: sessionmaker[Session], athlete_id: int) -> dict[int, str]:
    """fitcoach's athlete's activities from Strava, by their Strava ids."""
    with sessions() as session:
        rows = session.execute(
            select(Activity.strava_id, Activity.name).where(Activity.athlete_id == athlete_id)
        ).all()
    assert len(rows) == len({row.strava_id for row in rows})
    return {row.strava_id: row.name for row in rows}


def accounts_of(sessions: sessionmaker[Session]) -> dict[int, int]:
    """Strava's athlete id → the fitcoach account it is connected to."""
    with sessions() as session:
        rows = session.execute(
            select(StravaConnection.strava_athlete_id, StravaConnection.athlete_id)
        )
        return {int(strava_id): int(athlete_id) for strava_id, athlete_id in rows}


def test_production_installation_survives_kills_under_load(
    installation: Installation, tmp_path: Path
) -> None:
    site = installation
    phases: dict[str, float] = {}
    began = time.monotonic()
    sessions = site.sessions

    with stopwatch(phases, "start"):
        registration = start(site)
    sim = Simulator(site.sim_url)
    athletes = sorted(int(a["id"]) for a in sim.control("GET", "/athletes"))
    assert len(athletes) == ATHLETES
    revoking = {athletes[i] for i in DEAUTHORIZED}

    with stopwatch(phases, "history"):
        # Each athlete's own token (as their phone app would hold): to pick activities to
        # edit and, for a few, to revoke fitcoach's access on Strava's side.
        tokens: dict[int, str] = {}

        def history(athlete_id: int) -> list[int]:
            minted = sim.control("POST", f"/athletes/{athlete_id}/token", scope=SCOPE)
            tokens[athlete_id] = minted["access_token"]
            found = sim.activities(minted["access_token"])
            return sorted(found, key=lambda i: found[i]["start_date"])

        histories = run_all([partial(history, a) for a in athletes], 8)
        old = dict(zip(athletes, histories, strict=True))
        # A week off leaves some athletes with little history; most have plenty.
        assert sum(len(ids) >= 2 for ids in old.values()) > ATHLETES * 0.8
        sim.control("POST", "/usage/reset")  # from here on every Strava call is fitcoach's
        sim.control("POST", "/faults", kind="webhook_duplicate", probability=0.1)
        sim.control("POST", "/faults", kind="webhook_reorder", probability=0.05)

    with stopwatch(phases, "connect"):
        # Each connection also queues the athlete's backfill for the workers.
        browsers = run_all([partial(connect, site.web_url, sim, a) for a in athletes], 8)
        file_only = run_all(
            [partial(sign_up_with_files, site.web_url, n) for n in range(FILE_ONLY)], 4
        )
        # Those who will revoke fitcoach on Strava's side have a file of their own too.
        for browser in browsers:
            if browser.athlete_id in revoking:
                import_own(browser, own_files(FILE_ONLY + browser.athlete_id % 1000, 1))
        registration.join(timeout=120)
        assert sim.control("GET", "")["subscription"], "webhooks register did not register"
    # The simulator's athletes are Strava's; each connected to an account of fitcoach's own.
    member = accounts_of(sessions)
    assert sorted(member) == athletes
    with sessions() as session:
        own_accounts = set(
            session.scalars(select(Athlete.id).where(Athlete.email.like("own-%@example.com")))
        )
    assert len(own_accounts) == FILE_ONLY and not own_accounts & set(member.values())

    uploads, changes = plan_storm(sim, athletes, old, tokens)
    stop = threading.Event()
    traffic = [
        threading.Thread(
            target=browse,
            args=(browsers[i::TRAFFIC_THREADS] + file_only[i::TRAFFIC_THREADS], i, stop),
        )
        for i in range(TRAFFIC_THREADS)
    ]
    with stopwatch(phases, "storm"):
        for thread in traffic:
            thread.start()
        run_all(uploads)
        # A web process dies with webhook deliveries and page views in flight; uvicorn
        # starts another in its place, as a host restarts a crashed process.
        killed_web = web_processes(site.web)[0]
        web_killed_at = time.monotonic()
        os.kill(killed_web, signal.SIGKILL)
        run_all(changes[: len(changes) // 2])
        # A worker dies with tasks running; its replacement starts at once.
        site.workers[0].kill()
        site.workers[0].start()
        run_all(changes[len(changes) // 2 :])
        wait_for(
            lambda: (
                len(web_processes(site.web)) == WEB_PROCESSES
                and killed_web not in web_processes(site.web)
            ),
            "uvicorn to replace the killed web process",
            120,
        )
        time.sleep(2)  # traffic on the replacement too
        stop.set()
        for thread in traffic:
            thread.join(timeout=60)
    web_pids = [killed_web, *web_processes(site.web)]
    kept = [browser for browser in browsers if browser.athlete_id not in revoking]

    with stopwatch(phases, "drain"):
        idle = sim.control("POST", "/deliveries/wait?timeout=120")
        assert idle["idle"], idle
        unhandled = select(func.count()).where(WebhookEvent.processed_at.is_(None))
        wait_for(lambda: count(sessions, unhandled) == 0, "every stored event handled", 120)
        backfilled = select(func.count()).where(SyncState.backfill_done.is_(True))
        wait_for(lambda: count(sessions, backfilled) == len(kept), "every backfill", 120)
        # Every upload imported by a worker (a killed worker's job is taken up again).
        imported = select(func.count()).where(ImportJob.status == "done")
        uploads_made = FILE_ONLY * OWN_FILES + len(revoking)
        wait_for(lambda: count(sessions, imported) == uploads_made, "every import", 300)

        def dirty() -> set[int]:
            with sessions() as session:
                return set(session.scalars(select(SyncState.athlete_id).where(SyncState.dirty)))

        # The dashboard's own path brings a dirty athlete up to date: each views theirs.
        for _ in range(5):
            pending = dirty()
            if not pending:
                break
            views = [b for b in kept if member[b.athlete_id] in pending]
            run_all([partial(b.get, "/api/strava/activities?limit=1") for b in views], 8)
        assert not dirty(), f"still dirty after being viewed: {sorted(dirty())}"

    deliveries = sim.control("GET", "/deliveries")["deliveries"]
    attempts = [attempt for d in deliveries for attempt in d["attempts"]]
    undelivered = [d for d in deliveries if d["outcome"] != "delivered"]
    assert not undelivered, f"webhooks Strava gave up on: {undelivered[:3]}"
    server_errors = [
        (d["event"], d["attempts"])
        for d in deliveries
        if any((a["status"] or 0) >= 500 for a in d["attempts"])
    ]
    assert not server_errors, server_errors[:5]

    with stopwatch(phases, "metrics"):
        before = sim.control("GET", "/usage")
        scrapes = [
            metric_sums(
                httpx.get(
                    f"{site.web_url}/metrics",
                    headers={"Authorization": f"Bearer {site.metrics_token}"},
                    timeout=30,
                )
                .raise_for_status()
                .text
            )
            for _ in range(4)  # each answered by either web process
        ]
        after = sim.control("GET", "/usage")
        received = {scrape["fitcoach_webhook_events_received_total"] for scrape in scrapes}
        assert len(received) == 1, f"scrapes disagree: {received}"
        total = received.pop()
        per_process = {
            pid: process_webhook_count(site.metrics_dir, pid, tmp_path / "scratch")
            for pid in web_pids
        }
        # Both web processes took webhooks, and any scrape shows the sum of every web
        # process's own count, the killed one's included.
        assert sum(1 for n in per_process.values() if n > 0) >= WEB_PROCESSES, per_process
        assert total == sum(per_process.values()), (total, per_process)
        answered = sum(1 for a in attempts if a["status"] is not None)
        assert answered <= total <= len(attempts), (answered, total, len(attempts))
        # Every call Strava saw went out through fitcoach's client (web or worker) and was
        # counted, except those in flight on the killed processes when they died.
        counted = scrapes[-1]["strava_counted"]
        in_flight = WORKER_THREADS + TRAFFIC_THREADS
        assert before["total"] - in_flight <= counted <= after["total"], (counted, before)
        assert scrapes[-1]["strava_rate_limited"] == 0
        for app in after["applications"].values():
            for kind in ("overall", "read"):
                for window in ("short", "long"):
                    assert app[kind][window]["usage"] <= app[kind][window]["limit"]

    with stopwatch(phases, "truth"):
        ring = key_ring([site.keys])
        with sessions() as session:
            deleted = set(session.scalars(select(Deletion.athlete_id)))
        connected = set(accounts_of(sessions))
        assert connected == set(athletes) - revoking
        # A revoked athlete's Strava data is forgotten; their account stays.
        assert {member[a] for a in revoking} <= deleted

        def compare(strava_id: int) -> str | None:
            with sessions() as session:
                held = load_tokens(session, ring, member[strava_id])
            assert held is not None
            truth = {i: a["name"] for i, a in sim.activities(held.access_token).items()}
            stored = stored_activities(sessions, member[strava_id])
            if stored == truth:
                return None
            return (
                f"athlete {strava_id}: missing {sorted(set(truth) - set(stored))}, "
                f"extra {sorted(set(stored) - set(truth))}, renamed "
                f"{sorted(i for i in set(truth) & set(stored) if truth[i] != stored[i])}"
            )

        differences = [d for d in run_all([partial(compare, a) for a in connected], 8) if d]
        assert not differences, "\n".join(differences[:10])
        # A revoked athlete's account keeps its own file, and only that.
        assert all(sources_of(sessions, member[a]) == ["file"] for a in revoking)
        # The accounts without Strava hold exactly their own files.
        assert all(sources_of(sessions, a) == ["file"] * OWN_FILES for a in own_accounts)

    calls = [call for browser in browsers + file_only for call in browser.calls]
    assert len(calls) > 3 * ATHLETES
    server_errors = [c for c in calls if c.status is not None and c.status >= 500]
    assert not server_errors, server_errors[:5]
    # A connection cut by the kill: the request was on its way when the process died.
    failed = [c for c in calls if c.status is None]
    stray = [
        c for c in failed if not (c.started <= web_killed_at + 0.5 and c.ended >= web_killed_at)
    ]
    assert not stray, (web_killed_at, stray[:5])
    assert len(failed) <= TRAFFIC_THREADS

    cpu = {
        "web": sum(cpu_seconds(pid) for pid in web_processes(site.web)),
        "workers": sum(cpu_seconds(worker.pid) for worker in site.workers),
        "simulator": cpu_seconds(site.simulator.pid),
        "test": sum(os.times()[:2]),
    }
    with stopwatch(phases, "stop"):
        # SIGTERM: the web drains and exits, workers finish their tasks and exit.
        stopping = [site.web, *site.workers]
        for service in stopping:
            service.signal(signal.SIGTERM)
        codes = {service.name: service.wait(40) for service in stopping}
        assert codes == {service.name: 0 for service in stopping}, codes
    phases["total"] = round(time.monotonic() - began, 1)
    print(
        f"production smoke: {phases}; {len(calls)} page requests ({len(failed)} cut by the "
        f"kill), {len(attempts)} webhook attempts, {after['total']} Strava calls; CPU s "
        f"{ {name: round(seconds, 1) for name, seconds in cpu.items()} }"
    )
