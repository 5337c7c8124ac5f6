"""Two processes, one sum: ``fitcoach serve`` (the web process and its worker process)
driven through the simulator, scraped once at the web's /metrics.

The worker backfills and handles the push event the simulator sends; the web process
receives that event and refreshes the now-dirty athlete on a page view. Each process
writes its own file in DATA_DIR/metrics; the scrape must show both, summed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.core.db import make_engine, session_factory
from fitcoach.models import Activity, SyncState, WebhookEvent
from tests.conftest import RunningServer, free_port, login_through_simulator
from tests.monitoring.scrape import Samples

TOKEN = "two-process-token"
SECRET = "simulator-secret"
CALLBACK_SECRET = "two-process-callback"


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def served(sqlite_url: URL, simulator: RunningServer, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`fitcoach serve` on a free port: the web process, which starts its worker."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "served"
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url.render_as_string(hide_password=False),
        "DATA_DIR": str(data_dir),
        "PUBLIC_URL": url,
        "STRAVA_BASE_URL": simulator.url,
        "STRAVA_CLIENT_ID": "1",
        "STRAVA_CLIENT_SECRET": SECRET,
        "STRAVA_SUBSCRIPTION_ID": "1",  # the simulator's first subscription
        "STRAVA_WEBHOOK_VERIFY_TOKEN": "verify-me",
        "STRAVA_WEBHOOK_CALLBACK_SECRET": CALLBACK_SECRET,
        "METRICS_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "served.log"  # a file, not a pipe: a full pipe would block the server
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "fitcoach.cli", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the worker child is in its group, killed below
        )
    try:
        wait_for(lambda: _up(url) or process.poll() is not None, "fitcoach serve", 90)
        if process.poll() is not None:
            pytest.fail(f"fitcoach serve did not come up:\n{log.read_text()}")
        yield url, data_dir / "metrics"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def sim(simulator: RunningServer, method: str, route: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}{route}", json=body or None, timeout=30)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def api_calls(simulator: RunningServer) -> int:
    """Requests the simulator counted, but the test's own push-subscription call."""
    endpoints: dict[str, int] = sim(simulator, "GET", "/_sim/usage")["endpoints"]
    return sum(n for name, n in endpoints.items() if "push_subscriptions" not in name)


def per_process(directory: Path, name: str, **labels: str) -> dict[str, float]:
    """One sample's value in each process's own file, by process id."""
    found: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = path.stem.removeprefix("counter_")
        for metric in MultiProcessCollector.merge([str(path)]):
            for sample in metric.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    found[pid] = found.get(pid, 0.0) + sample.value
    return found


def test_web_and_worker_counts_add_up_in_one_scrape(
    served: tuple[str, Path], simulator: RunningServer, sqlite_url: URL
) -> None:
    url, metrics_dir = served
    sessions = session_factory(make_engine(sqlite_url))
    made = sim(simulator, "POST", "/_sim/athletes", kind="triathlete", history_days=200, seed=5)
    strava_id = int(made["id"])
    calls_before = api_calls(simulator)

    def state() -> SyncState | None:
        with sessions() as session:
            return session.scalars(select(SyncState)).first()

    # Both processes registered in the metrics directory: the worker is up.
    wait_for(lambda: len(list(metrics_dir.glob("*.pid"))) >= 2, "the worker process", 90)
    # Connect: the web process exchanges the code, the worker backfills the history.
    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as browser:
        answer = login_through_simulator(browser, athlete_id=str(strava_id))
        assert browser.get("/auth/strava/callback", params=answer).status_code == 200
        wait_for(lambda: bool((s := state()) and s.backfill_done), "the worker's backfill")
        with sessions() as session:
            stored = len(session.scalars(select(Activity.id)).all())
        pages = stored // 200 + 1

        # A new activity on Strava: the simulator pushes the event to the web process,
        # the worker handles it and marks the athlete dirty.
        response = httpx.post(
            f"{simulator.url}/api/v3/push_subscriptions",
            data={
                "client_id": "1",
                "client_secret": SECRET,
                "callback_url": f"{url}/webhooks/strava/{CALLBACK_SECRET}",
                "verify_token": "verify-me",
            },
        )
        assert response.status_code == 201, response.text
        sim(simulator, "POST", f"/_sim/athletes/{strava_id}/activities", generate={})

        def handled() -> bool:
            with sessions() as session:
                events = session.scalars(select(WebhookEvent)).all()
            return len(events) == 1 and events[0].processed_at is not None

        wait_for(handled, "the worker to handle the push event")
        # A page view of the dirty athlete: one refresh, made by the web process.
        page = browser.get("/api/strava/activities", params={"limit": 1}).json()
        assert page["freshness"]["refreshed"] is True

    calls = api_calls(simulator) - calls_before
    scrape = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scrape.status_code == 200, scrape.text
    samples = Samples(scrape.text)

    # A backfill chain the worker resumed at its start may overlap the one the login
    # queued (the cursor's compare-and-set stops the loser), so page counts are bounded
    # and Strava's own count of requests is the exact truth.
    runs = "fitcoach_sync_runs_total"
    assert samples.value(runs, kind="backfill", outcome="ok") >= pages
    assert samples.value(runs, kind="incremental", outcome="ok") == 1
    assert samples.value(runs, outcome="failed") == 0
    events = {"object_type": "activity", "aspect_type": "create"}
    assert samples.value("fitcoach_webhook_events_received_total", outcome="stored", **events) == 1
    assert samples.value("fitcoach_webhook_events_processed_total", **events) == 1
    assert samples.value("fitcoach_webhook_lag_seconds_count", object_type="activity") == 1
    requests = "fitcoach_strava_requests_total"
    counted = samples.value(requests) - samples.value(requests, priority="uncounted")
    assert counted == calls
    # The first page goes at a waiting person's priority (as do the view's refresh and the
    # web process's read-permission check after the code exchange), the older ones at
    # backfill's; an overlapping chain may fetch one page twice, the first too.
    backfill_calls = samples.value(requests, endpoint="activities", priority="backfill")
    interactive = samples.value(requests, endpoint="activities", priority="interactive")
    first_pages = interactive - 2
    assert 1 <= first_pages <= 2
    worker_calls = backfill_calls + first_pages
    assert pages <= worker_calls == calls - 2 <= pages + 1
    assert samples.value(requests, endpoint="oauth_token", priority="uncounted") == 1
    # The web process reads the worker's queue (every state is reported, empty or not).
    assert samples.has("fitcoach_queue_tasks", state="scheduled")
    assert samples.value("fitcoach_athletes_connected") == 1

    # Each figure came from the process that did the work, and the scrape is their sum.
    backfills = per_process(metrics_dir, runs, kind="backfill", outcome="ok")
    refreshes = per_process(metrics_dir, runs, kind="incremental", outcome="ok")
    worker = {pid for pid, value in backfills.items() if value}
    web = {pid for pid, value in refreshes.items() if value}
    assert len(worker) == len(web) == 1 and worker != web
    assert sum(refreshes.values()) == 1
    assert sum(backfills.values()) == samples.value(runs, kind="backfill", outcome="ok")
    by_process = per_process(metrics_dir, requests)
    assert by_process[worker.pop()] == worker_calls
    # The page view's refresh, the token exchange and the read-permission check.
    assert by_process[web.pop()] == 3
