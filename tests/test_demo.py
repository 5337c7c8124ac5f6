"""`fitcoach demo`, the README's first command, as a user runs it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    path = Path(f"/proc/{pid}/task/{pid}/children")
    for child in (int(p) for p in path.read_text().split()) if path.exists() else []:
        found += [child, *descendants(child)]
    return found


def command_of(pid: int) -> str:
    """The fitcoach command a process runs ("serve --port ..."), or its whole command."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except FileNotFoundError:  # it ended meanwhile
        return ""
    return " ".join(words[words.index("fitcoach.cli") + 1 :] if "fitcoach.cli" in words else words)


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


# Ctrl-C, as a person stops it; SIGTERM, as a process manager does.
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_demo_starts_everything_and_registers_the_webhook(
    tmp_path: Path, stop: signal.Signals
) -> None:
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
        # The callback carries the secret the demo generated into its data directory.
        secret = json.loads((tmp_path / "data" / "secrets.json").read_text())
        callback = f"http://127.0.0.1:{port}/webhooks/strava/{secret['webhook_callback_secret']}"
        assert registered[0]["callback_url"] == callback
        assert httpx.get(f"http://127.0.0.1:{port}/webhooks/strava").status_code == 404
        landing = httpx.get(f"http://127.0.0.1:{port}/")
        assert landing.status_code == 200 and "Connect with Strava" in landing.text
        login = httpx.get(f"http://127.0.0.1:{port}/auth/strava/login")
        assert login.status_code == 303
        assert login.headers["location"].startswith(f"http://127.0.0.1:{simulator_port}/oauth/")
        approval = httpx.get(login.headers["location"])
        assert approval.status_code == 200 and "Authorize fitcoach" in approval.text
        # Once up, the demo says where to go, how to sign in and how to stop.
        deadline = time.monotonic() + 30
        while "fitcoach demo is running" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        said = log.read_text()
        assert f"Open    http://127.0.0.1:{port}/" in said
        assert "pick any simulated" in said and "Ctrl-C" in said
        # The simulator, the web server and its worker (not the registration, which ends).
        children = {command_of(pid): pid for pid in descendants(demo.pid)}
        children = {name: pid for name, pid in children.items() if name and "register" not in name}
        assert sorted(name.split()[0] for name in children) == ["serve", "simulator", "worker"]
    finally:
        demo.send_signal(stop)  # to the demo alone: it must stop the others itself
        try:
            demo.wait(timeout=60)
            left = [name for name, pid in children.items() if running(pid)]
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(demo.pid, signal.SIGKILL)
    assert demo.returncode == 0
    assert left == [], "processes outlived the demo"
