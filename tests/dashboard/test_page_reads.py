"""Page reads take turns: at most READ_CONCURRENCY at once per process, "busy" after a wait."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

from fitcoach.core.errors import ConfigError
from fitcoach.core.settings import load_settings
from fitcoach.web import deps as state_module
from fitcoach.web.deps import read_slots
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(sqlite_url, simulator, read_concurrency=2)


def test_slots_are_the_setting_or_the_cores_this_process_may_use() -> None:
    assert read_slots(3) == 3
    assert read_slots(0) == len(os.sched_getaffinity(0)) >= 1


def test_a_negative_setting_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READ_CONCURRENCY", "-1")
    with pytest.raises(ConfigError, match=r"^READ_CONCURRENCY"):
        load_settings()


def test_no_more_than_the_slots_read_at_once(site: Site) -> None:
    inside, most = 0, 0
    lock = threading.Lock()

    def read() -> None:
        nonlocal inside, most
        with site.state.reader.turn():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2 and inside == 0


def test_pages_answer_busy_when_no_turn_comes(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "READ_WAIT", 0.05)
    taken = threading.Semaphore(0)
    release = threading.Event()

    def hold() -> None:
        with site.state.reader.turn():
            taken.release()
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for holder in holders:
        holder.start()
    try:
        assert taken.acquire(timeout=5) and taken.acquire(timeout=5)  # both turns taken
        api = site.client.get("/api/strava/activities")
        assert api.status_code == 503 and api.headers["retry-after"] == "5"
        error = api.json()["error"]
        assert "busy" in error["reason"] and error["what_to_do"]
        part = site.client.get("/partials/dashboard", headers={**HTML, "hx-request": "true"})
        assert part.status_code == 503 and "busy" in part.text
        chart = site.client.get("/partials/performance?range=1y", headers=HTML)
        assert chart.status_code == 503
    finally:
        release.set()
        for holder in holders:
            holder.join()
    # The turns came back: the same pages answer, nothing was left taken.
    assert site.client.get("/api/strava/activities").status_code == 200
    assert site.client.get("/partials/dashboard", headers=HTML).status_code == 200
    with site.state.reader.turn(), site.state.reader.turn():
        pass
