from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings


def client_for(url: URL) -> TestClient:
    settings = load_settings(database_url=url.render_as_string(hide_password=False))
    return TestClient(create_app(settings))


def test_readyz_is_200_on_a_migrated_database(database_url: URL) -> None:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    engine.dispose()
    with client_for(database_url) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "schema": "ok"}
        assert response.headers["x-request-id"]


def test_readyz_is_503_when_schema_is_behind(sqlite_url: URL) -> None:
    with client_for(sqlite_url) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "fitcoach db upgrade" in response.json()["checks"]["schema"]


def test_readyz_checks_redis(sqlite_url: URL, redis_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        database_url=sqlite_url.render_as_string(hide_password=False), redis_url=redis_url
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json()["checks"]["redis"] == "ok"
    settings = load_settings(
        database_url=sqlite_url.render_as_string(hide_password=False),
        redis_url="redis://127.0.0.1:9/0",
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["redis"].startswith("REDIS_URL")


def test_errors_are_json_with_what_to_do(sqlite_url: URL) -> None:
    with client_for(sqlite_url) as client:
        response = client.get("/no/such/page")
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["status"] == 404 and error["reason"] and error["what_to_do"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_fitcoach_serve_answers_readyz(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The real command, as a user runs it: the embedded mode migrates on start."""
    url: URL = request.getfixturevalue(f"{backend}_url")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "DATA_DIR": str(tmp_path / "data"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "fitcoach.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its worker child is in the same group, killed below
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"fitcoach serve did not come up:\n{output}")
                time.sleep(0.1)
        assert response.status_code == 200, response.text
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        # The embedded mode runs its queue worker beside the web server; SIGTERM stops both.
        assert len(children) == 1
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        for child in children:
            deadline = time.monotonic() + 5
            while Path(f"/proc/{child}").exists() and not zombie(int(child)):
                assert time.monotonic() < deadline, "the worker outlived fitcoach serve"
                time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True
