"""A webhook storm against a running app: nothing lost, nothing doubled, truth restored."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings
from fitcoach.models import Activity, SyncState
from fitcoach.strava.models import TokenResponse
from fitcoach.strava.repository import load_tokens
from fitcoach.sync.activities import backfill_page, incremental_sync
from fitcoach.sync.connection import connect_athlete
from fitcoach.sync.webhooks.repository import unprocessed_event_ids
from fitcoach.sync.webhooks.service import process_event
from fitcoach.sync.webhooks.subscription import callback_url, register_subscription
from fitcoach.web.deps import Services
from tests.conftest import RunningServer, free_port, services_of, sync_of

SCOPES = "read,activity:read_all"


def sim(simulator: RunningServer, method: str, route: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{route}", json=body or None, timeout=60)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


class AppProcess:
    """fitcoach's web app in a process of its own, as in production (its own GIL)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "fitcoach.app:create_app_from_env",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env={**os.environ, **env, "PUBLIC_URL": self.url},
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.TransportError:
                assert self.process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture(params=["sqlite", "postgres+redis"])
def app(
    request: pytest.FixtureRequest, simulator: RunningServer, tmp_path: Path
) -> Iterator[tuple[AppProcess, Services]]:
    if request.param == "sqlite":
        url: URL = request.getfixturevalue("sqlite_url")
        redis_url = ""
    else:
        url = request.getfixturevalue("postgres_url")
        redis_url = request.getfixturevalue("redis_url")
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    env = {
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "REDIS_URL": redis_url,
        "DATA_DIR": str(tmp_path / "app-data"),
        "STRAVA_BASE_URL": simulator.url,
        "STRAVA_CLIENT_ID": "1",
        "STRAVA_CLIENT_SECRET": "simulator-secret",
        "SECRET_KEY": "s" * 40,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "STRAVA_WEBHOOK_VERIFY_TOKEN": "storm-token",
        "STRAVA_WEBHOOK_CALLBACK_SECRET": "storm-callback-secret",
        "LOG_LEVEL": "WARNING",
    }
    server = AppProcess(env)
    # The test's own view of the same database and keys, to connect and check athletes.
    settings = load_settings(**{key.lower(): value for key, value in env.items()})
    state = services_of(create_app(settings))
    state.settings.public_url = server.url
    yield server, state
    server.stop()
    state.engine.dispose()


def test_storm_loses_nothing_and_doubles_nothing(
    app: tuple[AppProcess, Services], simulator: RunningServer
) -> None:
    server, state = app
    context = sync_of(state)
    # The validation handshake: the simulator calls the app's callback before creating.
    subscription = register_subscription(
        state.sessions,
        state.strava,
        server.url,
        state.settings.strava_webhook_verify_token,
        state.settings.callback_secrets[0],
    )
    # The simulator's (Strava's) athlete ids, which events name; fitcoach's own for each.
    athletes = [int(a["id"]) for a in sim(simulator, "GET", "/athletes")]
    member: dict[int, int] = {}
    for strava_id in athletes:
        minted = sim(simulator, "POST", f"/athletes/{strava_id}/token", scope=SCOPES)
        minted.setdefault("athlete", {"id": strava_id})
        answer = TokenResponse(**minted)
        member[strava_id] = connect_athlete(state.sessions, state.key_ring, answer, SCOPES)
        while backfill_page(context, member[strava_id], 0).more:
            pass

    sim(simulator, "POST", "/faults", kind="webhook_duplicate", probability=0.3)
    sim(simulator, "POST", "/faults", kind="webhook_reorder", probability=0.2)
    rng = random.Random(5)
    now = int(sim(simulator, "GET", "/clock")["now"])
    created: dict[int, list[int]] = {athlete_id: [] for athlete_id in athletes}

    def make(athlete_id: int, i: int) -> None:
        start = now - 3000 + i * 7  # all within the incremental sync's look-back
        body = {"generate": {"start": start, "duration": 600, "name": f"<b>Storm</b> {i}"}}
        added = sim(simulator, "POST", f"/athletes/{athlete_id}/activities", **body)
        created[athlete_id].append(int(added["id"]))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda job: make(*job), [(a, i) for a in athletes for i in range(100)]))
    edits = [(a, i) for a in athletes for i in rng.sample(created[a], 60)]
    deletes = [(a, i) for a in athletes for i in rng.sample(created[a], 20)]
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda job: sim(simulator, "PATCH", f"/activities/{job[1]}", name="Edited é"),
                edits,
            )
        )
        list(pool.map(lambda job: sim(simulator, "DELETE", f"/activities/{job[1]}"), deletes))

    # Events Strava never sent: forged-looking noise, out-of-order and unknown objects.
    def post(body: Any) -> int:
        raw = body if isinstance(body, bytes) else None
        response = httpx.post(
            callback_url(server.url, state.settings.callback_secrets[0]),
            content=raw,
            json=None if raw else body,
            timeout=10,
        )
        return response.status_code

    def event(**fields: Any) -> dict[str, Any]:
        return {
            "object_type": "activity",
            "aspect_type": "update",
            "updates": {"title": "early"},
            "subscription_id": subscription,
            "event_time": now,
            **fields,
        }

    noise: list[tuple[Any, int]] = []
    for i in range(150):  # an update arriving before its create (object not yet known)
        noise.append((event(object_id=9_000_000 + i, owner_id=athletes[i % 3]), 200))
    for i in range(150):  # deletes of activities fitcoach never had
        body = event(object_id=8_000_000 + i, owner_id=athletes[i % 3], aspect_type="delete")
        noise.append((body, 200))
    for i in range(100):  # malformed bodies
        noise.append((b'{"object_type": "activity", "object_id": ' + str(i).encode(), 400))
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda item: post(item[0]), noise))
    assert statuses == [expected for _, expected in noise]

    assert sim(simulator, "POST", "/deliveries/wait?timeout=60")["idle"]
    deliveries = sim(simulator, "GET", "/deliveries")["deliveries"]
    ours = [d for d in deliveries if d["event"]["object_type"] == "activity"]
    assert len(ours) >= 3 * (100 + 60 + 20)
    assert all(d["outcome"] == "delivered" for d in ours), {d["outcome"] for d in ours}
    # No delivery was refused; on a loaded machine an attempt may time out (status None)
    # and be retried by the simulator, as Strava does.
    assert all(a["status"] in (200, None) for d in ours for a in d["attempts"])

    # Strava's retries of deliveries it thinks failed: the same bodies again, each twice.
    again = [d["event"] for d in ours] * 2
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(post, again)) == {200}
    assert len(ours) + len(noise) + len(again) >= 2000

    with state.sessions() as session:
        pending = unprocessed_event_ids(session, limit=10_000)
    for event_id in pending:
        process_event(context, event_id)
    for athlete_id in member.values():
        with state.sessions() as session:
            sync_state = session.get(SyncState, athlete_id)
            assert sync_state is not None and sync_state.dirty
        incremental_sync(context, athlete_id, 2)

    for athlete_id in member.values():
        with state.sessions() as session:
            tokens = load_tokens(session, state.key_ring, athlete_id)
            rows = session.execute(
                select(Activity.strava_id, Activity.name).where(Activity.athlete_id == athlete_id)
            ).all()
        assert tokens is not None
        truth: dict[int, str] = {}
        page = 1
        while True:
            answer = httpx.get(
                f"{simulator.url}/api/v3/athlete/activities",
                params={"per_page": 200, "page": page},
                headers={"Authorization": f"Bearer {tokens.access_token}"},
            ).json()
            truth.update({item["id"]: item["name"] for item in answer})
            if len(answer) < 200:
                break
            page += 1
        stored = dict((row.strava_id, row.name) for row in rows)
        assert len(rows) == len(stored)  # no activity twice
        assert stored == truth
