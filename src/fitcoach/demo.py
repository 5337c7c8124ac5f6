"""`fitcoach demo`: the local Strava simulator, fitcoach's web app and its worker, at once.

Nothing leaves the machine: fitcoach talks to the simulator on loopback exactly as it
would talk to Strava, webhooks included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fitcoach.core.errors import FitcoachError
from fitcoach.core.settings import load_settings

SIMULATOR_CLIENT_ID = "1"
SIMULATOR_CLIENT_SECRET = "simulator-secret"


def _wait_until_up(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FitcoachError(f"the {what} stopped while starting (exit {process.returncode})")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise FitcoachError(f"the {what} did not start within 60 s ({url})")


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def banner(public_url: str, simulator_port: int) -> str:
    """What to do next, once everything is up."""
    return "\n".join(
        [
            "",
            "=" * 72,
            "  fitcoach demo is running",
            "",
            f"  Open    {public_url}/",
            "  Sign in with 'Connect with Strava': the page that opens is the local",
            f"          Strava simulator (port {simulator_port}); pick any simulated",
            "          athlete there and press Authorize.",
            "  Or      press 'Create an account' for an account without Strava, and",
            "          import the sample files in ./samples on the Import page.",
            "  Assist  a connected AI assistant (Settings > Assistant) sees the",
            "          simulator's generated activities: the demo lifts Strava's",
            "          language-model policy for simulated data only",
            "          (COACH_LLM_ALLOW_STRAVA_DATA=true; set it to false to see it work).",
            "  Stop    Ctrl-C (everything started here stops with it)",
            "  Data    ./data (delete it to start again from scratch)",
            "=" * 72,
            "",
        ]
    )


def run_demo(host: str, port: int, simulator_port: int, athletes: int) -> None:
    # SIGTERM (a process manager, `kill`) stops the demo as Ctrl-C does, children included;
    # Ctrl-C works even when the demo was started in the background, where SIGINT starts
    # out ignored.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    base = load_settings()
    data_dir = base.data_dir.resolve()
    public_url = f"http://{host}:{port}"
    env = {
        # Readable, quiet logs, so the banner below is what the console shows last; set
        # LOG_LEVEL=INFO (or LOG_FORMAT=json) to see every request.
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
        # The demo's "Strava" is the simulator and its activities are generated, so the
        # language-model policy has nothing to protect: the narrator and a connected
        # assistant see them (set COACH_LLM_ALLOW_STRAVA_DATA=false to see the policy work).
        "COACH_LLM_ALLOW_STRAVA_DATA": "true",
        **os.environ,
        "DATA_DIR": str(data_dir),
        "STRAVA_BASE_URL": f"http://127.0.0.1:{simulator_port}",
        "STRAVA_CLIENT_ID": SIMULATOR_CLIENT_ID,
        "STRAVA_CLIENT_SECRET": SIMULATOR_CLIENT_SECRET,
        "PUBLIC_URL": public_url,
    }
    command = [sys.executable, "-m", "fitcoach.cli"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        simulator = subprocess.Popen(
            [
                *command,
                "simulator",
                "--port",
                str(simulator_port),
                "--athletes",
                str(athletes),
                "--state",
                str(Path(data_dir) / "simulator.json"),
            ],
            env=env,
        )
        processes.append(simulator)
        _wait_until_up(f"http://127.0.0.1:{simulator_port}/_sim", simulator, "Strava simulator")
        web = subprocess.Popen([*command, "serve", "--host", host, "--port", str(port)], env=env)
        processes.append(web)
        _wait_until_up(f"{public_url}/healthz", web, "web app")
        register = subprocess.run([*command, "webhooks", "register", "--replace"], env=env)
        if register.returncode != 0:
            raise FitcoachError("could not register the webhook subscription with the simulator")
        print(banner(public_url, simulator_port), file=sys.stderr, flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        # A terminal's Ctrl-C reaches the children too, and one may stop before this
        # process sees its own KeyboardInterrupt: give that a moment before calling it a fault.
        time.sleep(1.0)
        raise FitcoachError("a demo process stopped; see the log lines above")
    except KeyboardInterrupt:
        pass
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
