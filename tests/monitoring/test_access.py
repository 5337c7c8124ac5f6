"""Who may read /metrics, the worker's metrics port, and what the scrape says when parts fail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy.engine import URL, make_url

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine, session_factory
from fitcoach.core.queue import QueueCounts
from fitcoach.core.settings import Mode, Settings, load_settings
from fitcoach.monitoring.access import metrics_refusal
from fitcoach.monitoring.collector import InstallationCollector
from fitcoach.monitoring.exporter import metrics_app
from tests.conftest import RunningServer
from tests.monitoring.conftest import TOKEN, Monitored
from tests.monitoring.scrape import Samples


@pytest.fixture
def migrated(sqlite_url: URL) -> URL:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    return sqlite_url


def settings_for(url: URL, **overrides: Any) -> Settings:
    return load_settings(database_url=url.render_as_string(hide_password=False), **overrides)


@pytest.fixture
def loopback(migrated: URL) -> Iterator[str]:
    """The embedded app, no METRICS_TOKEN, served on 127.0.0.1."""
    server = RunningServer(create_app(settings_for(migrated)))
    yield server.url
    server.stop()


def test_a_token_is_required_when_set(monitored: Monitored) -> None:
    client = monitored.client
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "METRICS_TOKEN" in missing.json()["error"]["reason"]
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    scrape = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=")


def test_without_a_token_only_this_machine_may_scrape(loopback: str, migrated: URL) -> None:
    assert httpx.get(f"{loopback}/metrics").status_code == 200
    relayed = httpx.get(f"{loopback}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.status_code == 403
    with TestClient(create_app(settings_for(migrated))) as client:  # host "testclient"
        assert client.get("/metrics").status_code == 403


def test_production_without_a_token_refuses_everyone(migrated: URL) -> None:
    settings = settings_for(migrated).model_copy(update={"fitcoach_mode": Mode.PRODUCTION})
    refusal = metrics_refusal(settings, None, "127.0.0.1", forwarded=False)
    assert refusal is not None and refusal.status == 403 and "production" in refusal.reason
    assert (
        metrics_refusal(settings.model_copy(update={"metrics_token": "t"}), "Bearer t", None, False)
        is None
    )
    assert metrics_refusal(settings_for(migrated), None, "::1", forwarded=False) is None


def test_queue_depth_is_reported_when_the_queue_has_one(
    monitored: Monitored, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not monitored.scrape().has("fitcoach_queue_tasks")  # in-process: no depth
    monkeypatch.setattr(monitored.state.queue, "counts", lambda: QueueCounts(3, 2))
    samples = monitored.scrape()
    assert samples.value("fitcoach_queue_tasks", state="pending") == 3
    assert samples.value("fitcoach_queue_tasks", state="scheduled") == 2
    page = monitored.client.get("/admin").text
    assert "Tasks ready to run</dt><dd>3" in page


def test_an_unreachable_database_reports_itself_down(tmp_path: Path) -> None:
    (tmp_path / "missing.db").mkdir()  # a directory where the file should be: cannot open
    engine = make_engine(make_url(f"sqlite:///{tmp_path}/missing.db"))
    collector = InstallationCollector(
        session_factory(engine), None, lambda: None, lambda: datetime.now(UTC)
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    samples = Samples(generate_latest(registry).decode())
    assert samples.value("fitcoach_database_up") == 0
    assert not samples.has("fitcoach_athletes_connected")


def test_the_worker_port_applies_the_same_rule(migrated: URL) -> None:
    def call(app: Any, **environ: str) -> tuple[str, bytes]:
        answer: list[str] = []
        body = b"".join(
            app({"PATH_INFO": "/metrics", **environ}, lambda status, _h: answer.append(status))
        )
        return answer[0], body

    protected = metrics_app(settings_for(migrated, metrics_token="w"))
    assert call(protected, REMOTE_ADDR="127.0.0.1")[0].startswith("401")
    status, body = call(protected, HTTP_AUTHORIZATION="Bearer w")
    assert status.startswith("200") and b"# TYPE" in body
    open_app = metrics_app(settings_for(migrated))
    assert call(open_app, REMOTE_ADDR="127.0.0.1")[0].startswith("200")
    assert call(open_app, REMOTE_ADDR="10.0.0.5")[0].startswith("403")
    assert call(open_app, REMOTE_ADDR="127.0.0.1", PATH_INFO="/other")[0].startswith("404")


def test_the_worker_serves_its_port_once(migrated: URL, monkeypatch: pytest.MonkeyPatch) -> None:
    from fitcoach.monitoring import exporter

    monkeypatch.setattr(exporter, "_started", None)
    settings = settings_for(migrated, metrics_token="w")
    server = exporter.serve_metrics(settings, "127.0.0.1", 0)
    assert server is not None
    try:
        assert exporter.serve_metrics(settings, "127.0.0.1", 0) is server  # once per process
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        assert httpx.get(url, headers={"Authorization": "Bearer w"}).status_code == 200
        assert httpx.get(url).status_code == 401
    finally:
        server.shutdown()
        server.server_close()
