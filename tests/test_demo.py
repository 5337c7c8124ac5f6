"""`fitcoach demo`, the README's first command, as a user runs it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def test_demo_starts_everything_and_registers_the_webhook(tmp_path: Path) -> None:
    port, simulator_port = free_port(), free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}
    log = tmp_path / "demo.log"
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fitcoach.cli",
            "demo",
            "--port",
            str(port),
            "--simulator-port",
            str(simulator_port),
            "--athletes",
            "2",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),  # a file: a full pipe would stall the demo's processes
        start_new_session=True,
    )
    subscriptions = f"http://127.0.0.1:{simulator_port}/api/v3/push_subscriptions"
    credentials = {"client_id": "1", "client_secret": "simulator-secret"}
    try:
        deadline = time.monotonic() + 120
        registered: list[dict[str, object]] = []
        while not registered:
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the demo did not come up in 120 s"
            time.sleep(0.5)
            with contextlib.suppress(httpx.HTTPError):
                registered = httpx.get(subscriptions, params=credentials).json()
        assert registered[0]["callback_url"] == f"http://127.0.0.1:{port}/webhooks/strava"
        landing = httpx.get(f"http://127.0.0.1:{port}/")
        assert landing.status_code == 200 and "Connect with Strava" in landing.text
        login = httpx.get(f"http://127.0.0.1:{port}/auth/strava/login")
        assert login.status_code == 303
        assert login.headers["location"].startswith(f"http://127.0.0.1:{simulator_port}/oauth/")
        approval = httpx.get(login.headers["location"])
        assert approval.status_code == 200 and "Authorize" in approval.text
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl-C, as a person stops it
        try:
            demo.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(demo.pid, signal.SIGKILL)
    assert demo.returncode == 0
