"""The inbox: files put in an athlete's folder are imported by the worker with no command.

One test runs the real worker process (``fitcoach worker``, the huey consumer the embedded
mode starts beside the web server) twice: a settled file is imported and moved to done/,
a damaged one goes to failed/ beside its reason, a half-written one waits; after a
restart, a file delivered again stores nothing twice and the finished one is taken. The
other drives the scan with an injected clock on the worker's schedule (a scan a minute)
to show the worst case of the 90-second goal, up to the dashboard, and what the import
page shows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.core.settings import load_settings
from fitcoach.imports import inbox
from fitcoach.imports.parsing.limits import Limits
from fitcoach.models import Activity, Athlete, ImportJob
from tests.conftest import RunningServer, login_through_simulator, recording_app, services_of
from tests.imports.builders import fit_file, ride, run

# The worker scans once a minute; a file is taken once it has settled.
SCAN_EVERY = timedelta(minutes=1)
GOAL = timedelta(seconds=90)


def settled(path: Path, data: bytes, age_s: float = 60) -> Path:
    """``data`` written to ``path`` as a sync tool leaves it: complete, written a while ago."""
    path.write_bytes(data)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def write_slowly(path: Path, data: bytes, done: threading.Event) -> None:
    """Append ``data`` to ``path`` a few bytes a second until ``done`` (never all of it)."""
    with path.open("wb") as handle:
        for offset in range(0, len(data) - 64, 64):
            handle.write(data[offset : offset + 64])
            handle.flush()
            if done.wait(1.0):
                return


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fitcoach.cli", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGINT)  # the work is done: stop at once
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_a_real_worker_imports_settled_files_fails_bad_ones_and_never_twice(
    sqlite_url: URL, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        athlete = Athlete(firstname="Inbox")
        session.add(athlete)
        session.flush()
        athlete_id = int(athlete.id)
    root = tmp_path / "inbox"
    folder = inbox.athlete_inbox(root, athlete_id)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    ride_fit = fit_file(ride(start, 600))
    settled(folder / "morning-ride.fit", ride_fit)
    settled(folder / "broken.fit", b"this is not a FIT file at all")
    whole_run = fit_file(run(start + timedelta(hours=5), 900))
    # A sync tool still writing the run, a little every second, all the while.
    writing = threading.Event()
    writer = threading.Thread(
        target=write_slowly, args=(folder / "evening-run.fit", whole_run, writing)
    )
    writer.start()
    # Left by sync tools while they write, or for themselves: never taken.
    settled(folder / ".syncthing.evening-run.fit.tmp", whole_run)
    settled(folder / "evening-run.fit.part", whole_run)

    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url.render_as_string(hide_password=False),
        "DATA_DIR": str(tmp_path / "worker-data"),
        "IMPORT_INBOX_DIR": str(root),
        "LOG_LEVEL": "WARNING",
    }

    def stored() -> int:
        with sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Activity)) or 0)

    # The worker's first scan runs as it starts: no minute's wait.
    worker = start_worker(env)
    try:
        wait_for(
            lambda: (
                (folder / "done/morning-ride.fit").exists()
                and (folder / "failed/broken.fit").exists()
            ),
            "the first scan",
        )
    finally:
        stop(worker)
        writing.set()
        writer.join()
    assert stored() == 1
    reason = (folder / "failed/broken.fit.reason.txt").read_text()
    assert reason.startswith("broken.fit: ") and "FIT" in reason, reason
    assert not (folder / "done/broken.fit").exists()
    waiting = sorted(path.name for path in folder.iterdir() if path.is_file())
    assert waiting == [".syncthing.evening-run.fit.tmp", "evening-run.fit", "evening-run.fit.part"]

    # The sync finishes the run; and the ride arrives again (synced back from another
    # device, or left by a worker killed before its move): restart the worker.
    settled(folder / "evening-run.fit", whole_run)
    settled(folder / "morning-ride.fit", ride_fit)
    worker = start_worker(env)
    try:
        wait_for(
            lambda: (
                (folder / "done/evening-run.fit").exists()
                and (folder / "done/morning-ride (2).fit").exists()
            ),
            "the scan after the restart",
        )
    finally:
        stop(worker)
    assert stored() == 2  # the ride once, the run once
    with sessions() as session:
        jobs = session.scalars(select(ImportJob).order_by(ImportJob.id)).all()
        sports = sorted(session.scalars(select(Activity.sport_type)))
    assert sports == ["Ride", "Run"]
    by_name = {(job.filename, job.imported, job.duplicates, job.failed) for job in jobs}
    assert by_name == {
        ("morning-ride.fit", 1, 0, 0),
        ("broken.fit", 0, 0, 1),
        ("evening-run.fit", 1, 0, 0),
        ("morning-ride.fit", 0, 1, 0),
    }
    assert all(job.status in ("done", "failed") for job in jobs)
    engine.dispose()


@pytest.fixture
def client(sqlite_url: URL, simulator: RunningServer, isolated_settings: Path) -> TestClient:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        database_url=sqlite_url.render_as_string(hide_password=False),
        strava_base_url=simulator.url,
        strava_client_id="1",
        strava_client_secret="simulator-secret",
        public_url="http://testserver",
    )
    app, _ = recording_app(settings)
    test_client = TestClient(app)
    answer = login_through_simulator(test_client)
    assert test_client.get("/auth/strava/callback", params=answer).status_code == 200
    return test_client


def test_a_dropped_file_is_on_the_dashboard_within_90_seconds_on_the_workers_schedule(
    client: TestClient, isolated_settings: Path
) -> None:
    state = services_of(client.app)
    page = client.get("/import")
    with state.sessions() as session:
        athlete_id = int(session.scalars(select(Athlete.id)).one())
    # The first view of the import page makes the athlete's folder and names it.
    folder = isolated_settings / "inbox" / str(athlete_id)
    assert (folder / "done").is_dir() and (folder / "failed").is_dir()
    assert str(folder.resolve()) in page.text

    dropped = datetime.now(UTC).replace(microsecond=0)
    path = folder / "tempo.fit"
    path.write_bytes(fit_file(ride(dropped - timedelta(hours=3), 1800)))
    os.utime(path, (dropped.timestamp(), dropped.timestamp()))

    # Worst case: the worker's scan comes just before the file has settled, so the
    # next one, a minute later, takes it.
    first_scan = dropped + inbox.SETTLE - timedelta(seconds=1)
    assert inbox.scan(state.sessions, folder.parent, Limits(), lambda: first_scan) == []
    assert path.exists() and "tempo.fit" not in client.get("/").text
    second_scan = first_scan + SCAN_EVERY
    taken = inbox.scan(state.sessions, folder.parent, Limits(), lambda: second_scan)
    assert [(result.name, result.outcome) for result in taken] == [("tempo.fit", "done")]
    assert second_scan - dropped < GOAL

    with state.sessions() as session:
        activity = session.scalars(select(Activity)).one()
    assert activity.source == "file" and activity.load is not None and activity.load > 0
    assert f'href="/activities/{activity.id}"' in client.get("/").text
    page = client.get("/import").text
    assert "tempo.fit: imported" in page and "Your imports" in page
