"""Shared fixtures: isolated settings, and real SQLite / PostgreSQL / Redis backends.

PostgreSQL and Redis tests use the servers named by FITCOACH_TEST_POSTGRES_URL and
FITCOACH_TEST_REDIS_URL (defaults: the local servers). Where a server is missing they
skip with a message, except in CI (CI=true), where a missing server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from fitcoach.core.settings import Settings

if TYPE_CHECKING:
    from fitcoach.sync.context import SyncContext
    from fitcoach.web.deps import Services

pytest_plugins = ["tests.stores", "tests.assistant.support"]

POSTGRES_URL = os.environ.get(
    "FITCOACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FITCOACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _worker_redis_url(url: str) -> str:
    """A Redis database of this pytest-xdist worker's own (gw0: the configured one, gw1:
    the one below it…), since each test empties the database it uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    base, _, database = url.rpartition("/")
    if not database.isdigit():
        return url
    return f"{base}/{(int(database) - index) % 16}"


REDIS_URL = _worker_redis_url(REDIS_URL)


def unavailable(reason: str) -> None:
    """Skip on a developer's machine, fail in CI: CI must never silently skip these."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run this test)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No setting leaks in from the machine; the data directory is the test's own."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture
def sqlite_url(tmp_path: Path) -> URL:
    return make_url(f"sqlite:///{tmp_path / 'fitcoach-test.db'}")


@pytest.fixture
def postgres_url() -> Iterator[URL]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"fitcoach_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        unavailable(f"PostgreSQL not reachable at {POSTGRES_URL}: {str(error.orig).strip()}")
    try:
        yield admin_url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> URL:
    """Runs the test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: URL = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
        # A test database of its own (db 15 by default): start each test from empty, so
        # budget counters of an earlier test cannot deny this one's requests.
        client.flushdb()
    except redis.RedisError as error:
        unavailable(f"Redis not reachable at {REDIS_URL}: {error}")
    finally:
        client.close()
    return REDIS_URL


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """An ASGI app served by uvicorn on a loopback port, in a background thread."""

    def __init__(self, app: object) -> None:
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def simulator() -> Iterator[RunningServer]:
    """The Strava simulator on loopback: 3 athletes, a year of history, Strava's limits."""
    from fitcoach.simulator import SimulatorConfig, create_app

    config = SimulatorConfig(athletes=3, seed=7, history_days=365, webhook_retry_delay=0.2)
    server = RunningServer(create_app(config))
    yield server
    server.stop()


def login_through_simulator(client: object, **choices: str) -> dict[str, str]:
    """Start Login with Strava in ``client`` (a TestClient), approve on the simulator, and
    return the callback's query (not yet sent back to fitcoach)."""
    from urllib.parse import parse_qs, urlsplit

    import httpx

    response = client.get("/auth/strava/login", follow_redirects=False)  # type: ignore[attr-defined]
    assert response.status_code == 303, response.text
    authorize = httpx.URL(response.headers["location"]).copy_merge_params(
        {"decision": "approve", **choices}
    )
    answer = httpx.get(authorize)
    assert answer.status_code in (302, 303), answer.text
    location = urlsplit(answer.headers["location"])
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def connect_simulator_athlete(simulator: RunningServer, context: SyncContext) -> int:
    """Connect the simulator's first athlete as a login would (tokens minted by the
    simulator with full read scope, stored by fitcoach's own code); returns fitcoach's id
    for them (``strava_id_of`` gives the simulator's)."""
    import httpx

    from fitcoach.strava.models import TokenResponse
    from fitcoach.sync.connection import connect_athlete

    scopes = "read,activity:read_all"
    control = f"{simulator.url}/_sim"
    athlete_id = int(httpx.get(f"{control}/athletes").json()[0]["id"])
    response = httpx.post(f"{control}/athletes/{athlete_id}/token", json={"scope": scopes})
    assert response.status_code < 300, response.text
    minted = response.json()
    minted.setdefault("athlete", {"id": athlete_id})
    return connect_athlete(context.sessions, context.key_ring, TokenResponse(**minted), scopes)


def strava_id_of(sessions: Any, athlete_id: int) -> int:
    """The Strava (simulator) athlete id of fitcoach's athlete ``athlete_id``."""
    from fitcoach.strava.repository import connection_of

    with sessions() as session:
        connection = connection_of(session, athlete_id)
        assert connection is not None, f"athlete {athlete_id} has no Strava connection"
        return int(connection.strava_athlete_id)


class MovableClock:
    """A clock a test sets: ``create_app(..., clock=clock)``, then ``clock.now = ...``."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class RecordingQueue:
    """A task queue that records what the web app hands it, and runs manual refreshes
    (and, when ``inline`` is given, everything else) through the real code."""

    inline: Any = None
    # What the in-process queue runs, when it is given (by default, everything).
    runs: frozenset[str] = frozenset({"backfill", "event", "recompute", "import"})
    backfills: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    recomputes: list[int] = field(default_factory=list)
    imports: list[int] = field(default_factory=list)
    replans: list[int] = field(default_factory=list)
    context: Any = None
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def start_backfill(self, athlete_id: int) -> None:
        self.backfills.append(athlete_id)
        if self.inline is not None and "backfill" in self.runs:
            self.inline.start_backfill(athlete_id)

    def handle_webhook_event(self, event_id: int) -> None:
        self.events.append(event_id)
        if self.inline is not None and "event" in self.runs:
            self.inline.handle_webhook_event(event_id)

    def refresh(self, athlete_id: int, ask_strava: bool) -> str:
        from fitcoach.sync.manual import manual_sync

        job = uuid.uuid4().hex
        self.outcomes[job] = manual_sync(self.context, athlete_id, ask_strava)
        return job

    def refresh_status(self, job: str) -> dict[str, Any]:
        return self.outcomes.get(job, {"status": "unknown"})

    def recompute_loads(self, athlete_id: int) -> None:
        self.recomputes.append(athlete_id)
        if self.inline is not None and "recompute" in self.runs:
            self.inline.recompute_loads(athlete_id)

    def import_upload(self, job_id: int) -> None:
        self.imports.append(job_id)
        if self.inline is not None and "import" in self.runs:
            self.inline.import_upload(job_id)

    def replan(self, athlete_id: int) -> None:
        self.replans.append(athlete_id)
        if self.inline is not None:
            self.inline.replan(athlete_id)

    def counts(self) -> None:
        return None


def services_of(app: Any) -> Services:
    """The services a FastAPI app made by ``create_app`` holds."""
    found: Services = app.state.services
    return found


def sync_context_of(app: Any) -> SyncContext:
    """A sync context on the app's own sessions, key ring, Strava client and clock."""
    from fitcoach.sync.context import SyncContext

    services = services_of(app)
    return SyncContext(services.sessions, services.key_ring, services.strava, services.clock)


def recording_app(
    settings: Settings, inline: bool | frozenset[str] = False, **options: Any
) -> tuple[Any, RecordingQueue]:
    """``create_app`` with a RecordingQueue (running the work in-process when ``inline``)."""
    from fitcoach.app import create_app
    from fitcoach.imports.parsing.limits import limits_from
    from fitcoach.inline_queue import InlineQueue

    queue = RecordingQueue()
    app = create_app(settings, queue=queue, **options)
    queue.context = sync_context_of(app)
    if inline:
        queue.inline = InlineQueue(queue.context, settings.data_dir, limits_from(settings))
        if not isinstance(inline, bool):
            queue.runs = inline
    return app, queue


def sync_of(services: Services) -> SyncContext:
    """A sync context on these services' sessions, key ring, Strava client and clock."""
    from fitcoach.sync.context import SyncContext

    return SyncContext(services.sessions, services.key_ring, services.strava, services.clock)


def add_strava_athlete(
    session: Any, strava_id: int, firstname: str = "", lastname: str = ""
) -> int:
    """An account connected to the Strava athlete ``strava_id`` (as a login makes it, without
    tokens); fitcoach's id for it."""
    from fitcoach.athletes.repository import create_athlete
    from fitcoach.strava.repository import save_connection

    athlete = create_athlete(session, firstname=firstname, lastname=lastname)
    save_connection(
        session, athlete.id, {"id": strava_id, "firstname": firstname, "lastname": lastname}
    )
    return athlete.id


def session_cookie(secret_key: str, athlete_id: int, version: int, now: datetime) -> str:
    """The session cookie a login of the athlete would leave (Starlette's signer, the
    login's fields as fitcoach.web.sessions writes them), for tests that start logged in."""
    import json
    from base64 import b64encode

    import itsdangerous

    from fitcoach.web import sessions

    login: dict[str, Any] = {}
    sessions.begin(login, athlete_id, version, now)
    payload = b64encode(json.dumps(login).encode())
    return itsdangerous.TimestampSigner(secret_key).sign(payload).decode()
