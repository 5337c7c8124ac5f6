"""Backfill of a long history by a real worker process, killed with SIGKILL mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory
from fitcoach.models import Activity, SyncState
from fitcoach.strava.models import TokenResponse
from fitcoach.sync.connection import connect_athlete
from tests.conftest import RunningServer

SCOPES = "read,activity:read_all"


def sim(simulator: RunningServer, method: str, route: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{route}", json=body or None, timeout=30)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fitcoach.cli", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(condition: Any, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_backfill_survives_kill_9_and_uses_the_fewest_calls(
    sqlite_url: URL, simulator: RunningServer, tmp_path: Path
) -> None:
    athlete = sim(simulator, "POST", "/athletes", kind="triathlete", history_days=2820, seed=11)
    strava_id, truth = int(athlete["id"]), int(athlete["activities"])
    assert 2800 < truth < 3200
    pages = truth // 200 + 1  # the last page is the first one not full

    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    keys = Fernet.generate_key().decode()
    sessions = session_factory(engine)
    minted = sim(simulator, "POST", f"/athletes/{strava_id}/token", scope=SCOPES)
    minted.setdefault("athlete", {"id": strava_id})
    athlete_id = connect_athlete(sessions, key_ring([keys]), TokenResponse(**minted), SCOPES)

    def fetched() -> int:
        with sessions() as session:
            state = session.get(SyncState, athlete_id)
            return state.backfill_fetched if state else 0

    def stored() -> int:
        with sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Activity)) or 0)

    def done() -> bool:
        with sessions() as session:
            state = session.get(SyncState, athlete_id)
            return bool(state and state.backfill_done)

    # Each list page takes a moment, so the kill lands in the middle of the history.
    sim(simulator, "POST", "/faults", kind="slow", delay=0.4, path="/api/v3/athlete/activities")
    before = sim(simulator, "GET", "/usage")["endpoints"]
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url.render_as_string(hide_password=False),
        "DATA_DIR": str(tmp_path / "worker-data"),
        "TOKEN_ENCRYPTION_KEYS": keys,
        "STRAVA_BASE_URL": simulator.url,
        "STRAVA_CLIENT_ID": "1",
        "STRAVA_CLIENT_SECRET": "simulator-secret",
        "LOG_LEVEL": "WARNING",
    }
    worker = start_worker(env)
    try:
        wait_for(lambda: fetched() >= 1000, "a third of the history")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    at_kill = fetched()
    assert 1000 <= at_kill < truth
    assert stored() >= at_kill  # the cursor never runs ahead of what is stored

    worker = start_worker(env)  # resumes from the cursor on start
    try:
        wait_for(done, "the backfill to finish")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    assert stored() == truth
    with sessions() as session:
        ids = session.scalars(select(Activity.id)).all()
    assert len(ids) == len(set(ids)) == truth
    after = sim(simulator, "GET", "/usage")["endpoints"]
    key = next(name for name in after if "athlete/activities" in name)
    calls = after[key] - before.get(key, 0)
    # The fewest list calls, plus at most the one page in flight when the worker died.
    assert pages <= calls <= pages + 1, (calls, pages)
    engine.dispose()
