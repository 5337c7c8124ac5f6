"""How long a file dropped in an athlete's inbox takes to reach their dashboard, in the
embedded mode with no command: `fitcoach serve` (the web server and the worker it
starts), a new athlete, then files dropped at moments spread over the worker's minute.

Run: uv run python bench/inbox_latency.py [--drops 3]

Each drop writes a FIT file (an hour's ride) into DATA_DIR/inbox/<id> and polls the
dashboard (GET / with the athlete's session) until the activity's link is on it; the
seconds from the drop are printed with the worst and the goal (90 s).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, Athlete
from tests.conftest import session_cookie
from tests.imports.builders import fit_file, ride

GOAL_S = 90.0
SECRET = "bench-inbox-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("fitcoach serve did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": SECRET,
            "LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "fitcoach.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_ready(url)
            engine = make_engine(make_url(f"sqlite:///{data_dir / 'fitcoach.db'}"))
            sessions = session_factory(engine)
            with transaction(sessions) as session:
                athlete = Athlete(firstname="Inbox", ftp_watts=250.0)
                session.add(athlete)
                session.flush()
                athlete_id, version = int(athlete.id), int(athlete.session_version)
            cookie = session_cookie(SECRET, athlete_id, version, datetime.now(UTC))
            client = httpx.Client(base_url=url, cookies={"fitcoach_session": cookie}, timeout=30)
            assert client.get("/import").status_code == 200  # makes the athlete's folder
            inbox = data_dir / "inbox" / str(athlete_id)
            latencies = []
            for drop in range(args.drops):
                # A moment anywhere in the worker's minute.
                time.sleep(rng.uniform(0, 60))
                start = datetime.now(UTC) - timedelta(days=drop + 1)
                data = fit_file(ride(start.replace(microsecond=0), 3600, seed=drop + 1))
                staging = inbox.parent / f".drop-{drop}.fit"
                staging.write_bytes(data)
                dropped = time.monotonic()
                staging.rename(inbox / f"ride-{drop}.fit")  # as a sync tool finishes a file
                while True:
                    with sessions() as session:
                        found = session.scalars(
                            select(Activity.id).where(Activity.athlete_id == athlete_id)
                        ).all()
                    shown = [i for i in found if f'href="/activities/{i}"' in client.get("/").text]
                    if len(shown) > drop:
                        break
                    if time.monotonic() - dropped > 300:
                        raise SystemExit(f"drop {drop}: not on the dashboard after 300 s")
                    time.sleep(1)
                latencies.append(time.monotonic() - dropped)
                print(f"drop {drop + 1}: on the dashboard {latencies[-1]:.1f} s after it landed")
            worst = max(latencies)
            print(
                f"{args.drops} drops: mean {sum(latencies) / len(latencies):.1f} s, worst "
                f"{worst:.1f} s (goal < {GOAL_S:.0f} s: {'met' if worst < GOAL_S else 'NOT met'})"
            )
            engine.dispose()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
