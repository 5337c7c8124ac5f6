"""The activity list and the curves API under load, and what computing curves adds to a
file import.

The issue's figure (1,000 athletes × 1,000 activities) is too heavy for a shared 2-core
machine, so the population is scaled (``--athletes``, 100 by default; each athlete still
has 1,000 activities over three years, the per-request work of the full size). The store
is bench/serving_store.py's, plus a curve per activity and kind as ingest stores it
(``activity_curves``: power and heart rate for rides, heart rate and run pace for runs,
swim pace for swims; each a real curve of a generated 1 Hz stream, scaled per activity).
fitcoach's real server runs in its own process (bench/serving.py's) and an open-loop
generator sends ``--rate`` requests a second, each for a random athlete's session, to
``GET /activities`` (the list page; also sorted by load and searched by name) and to
``GET /api/curves/power?range=all`` (every curve of the athlete merged), latency from
each request's due time.

The ingest overhead: the real device files of the test corpus imported with
``fitcoach import`` into a fresh database, with and without the curve step (the same
import, ``store_curves`` replaced by nothing for the second), median of ``--repeats``.

    uv run python bench/analytics.py [--athletes 100] [--activities 1000] [--rate 20]
        [--seconds 20] [--warmup 5] [--repeats 3] [--skip-serving] [--skip-ingest]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import insert, select

from fitcoach.activities import curves as activity_curves
from fitcoach.activities import merge
from fitcoach.core.db import make_engine
from fitcoach.models import Activity, ActivityCurve
from serving import (
    GOAL_MS,
    HEADER,
    StravaListener,
    drive,
    run_line,
    server_env,
    session_cookie,
    start_server,
    stop_server,
    verdict_line,
)
from serving_store import FIRST_ATHLETE, BenchError, prepare_store

ROOT = Path(__file__).parents[1]
CORPUS = ROOT / "tests" / "files" / "real" / "fit"
PATHS = {
    "list": "/activities",
    # The costliest list: sorted by a column no index orders, and filtered by name.
    "list-by-load": "/activities?sort=load&q=ride",
    "curves": "/api/curves/power?range=all",
}


def template_curves() -> dict[str, list[list[float]]]:
    """One curve of each kind from generated 1 Hz streams: intervals on a 5-hour ride, a
    marathon-long run, a 3.8 km swim."""
    t = np.arange(5 * 3600, dtype=float)
    watts = 200 + 80 * ((t // 300) % 3 == 1) + 15 * np.sin(t / 7)
    heart = 120 + 30 * ((t // 300) % 3 == 1) + 3 * np.sin(t / 11)
    ride = activity_curves.curves_of("Ride", {"time": t, "watts": watts, "heartrate": heart})
    run_time = np.arange(4 * 3600, dtype=float)
    run_distance = np.cumsum(3.0 + 0.3 * np.sin(run_time / 90))
    run = activity_curves.curves_of("Run", {"time": run_time, "distance": run_distance})
    swim_time = np.arange(5000, dtype=float)
    swim = activity_curves.curves_of("Swim", {"time": swim_time, "distance": swim_time * 0.8})
    found = {**ride, **run, **swim}
    return {kind: [[p.key, p.value] for p in points] for kind, points in found.items()}


KINDS_OF = {
    "Ride": ("power", "heart_rate"),
    "VirtualRide": ("power", "heart_rate"),
    "Run": ("heart_rate", "run_pace"),
    "Swim": ("swim_pace",),
}


def add_curves(url: Any) -> int:
    """A curve per activity and kind, as ingest would have stored it."""
    templates = template_curves()
    rng = random.Random(3)
    engine = make_engine(url)
    rows = 0
    try:
        with engine.connect() as connection:
            activities = connection.execute(
                select(
                    Activity.id,
                    Activity.athlete_id,
                    Activity.start_date,
                    Activity.sport_type,
                    Activity.moving_time_s,
                    Activity.distance_m,
                )
            ).all()
        batch: list[dict[str, Any]] = []
        for a in activities:
            for kind in KINDS_OF.get(a.sport_type, ()):
                scale = rng.uniform(0.8, 1.1)
                by_duration = kind in activity_curves.BY_DURATION
                points = [
                    [key, value * scale if by_duration else value / scale]
                    for key, value in templates[kind]
                    if (key <= a.moving_time_s if by_duration else key <= a.distance_m)
                ]
                if points:
                    batch.append(
                        {
                            "activity_id": a.id,
                            "kind": kind,
                            "athlete_id": a.athlete_id,
                            "start_date": a.start_date,
                            "points": points,
                        }
                    )
            if len(batch) >= 5000:
                with engine.begin() as connection:
                    connection.execute(insert(ActivityCurve), batch)
                rows += len(batch)
                batch = []
        if batch:
            with engine.begin() as connection:
                connection.execute(insert(ActivityCurve), batch)
            rows += len(batch)
    finally:
        engine.dispose()
    return rows


def serving(options: argparse.Namespace, workdir: Path) -> list[str]:
    store = prepare_store("sqlite", options.athletes, options.activities, workdir, False)
    began = time.monotonic()
    rows = add_curves(store.url)
    print(
        f"  store: {options.athletes} athletes x {options.activities} activities, "
        f"{rows:,} curves added in {time.monotonic() - began:.0f} s",
        flush=True,
    )
    rng = random.Random(7)
    sessions = [
        (FIRST_ATHLETE + i, session_cookie(FIRST_ATHLETE + i, f"csrf-{rng.getrandbits(64):x}"))
        for i in range(options.athletes)
    ]
    strava = StravaListener()
    verdicts = []
    try:
        for name, path in PATHS.items():
            env = server_env(store.url, workdir / f"data-{name}", strava.url, options)
            server = start_server(env, 1, workdir / f"server-{name}.log")
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{server.port}{path}",
                    headers={"cookie": f"fitcoach_session={sessions[0][1]}"},
                    timeout=60,
                )
                if answer.status_code != 200:
                    raise BenchError(f"{path} answered {answer.status_code}: {server.tail()}")
                if name == "curves" and len(answer.json()["points"]) < 20:
                    raise BenchError(f"{path} answered too few points: {answer.text[:200]}")
                print(f"\nsqlite GET {path}", flush=True)
                print(HEADER, flush=True)
                run = drive(server, path, sessions, options.rate, options)
                print(run_line("sqlite", run), flush=True)
                verdicts.append(verdict_line("sqlite", path, run))
            finally:
                stop_server(server)
    finally:
        strava.close()
    if strava.connections:
        raise BenchError("fitcoach called Strava while serving from the store")
    return verdicts


def import_once(files: Path, workdir: Path, with_curves: bool) -> float:
    """Seconds ``fitcoach import`` takes for the corpus into a fresh database."""
    from fitcoach.cli import main as cli
    from fitcoach.core.db import session_factory, transaction
    from fitcoach.core.settings import load_settings
    from fitcoach.models import Athlete
    from fitcoach.startup import prepare_database

    data = workdir / f"import-{time.monotonic_ns()}"
    data.mkdir()
    os.environ["DATA_DIR"] = str(data)
    os.environ["DATABASE_URL"] = f"sqlite:///{data / 'import.db'}"
    engine = prepare_database(load_settings())
    with transaction(session_factory(engine)) as session:
        session.add(Athlete(id=1, firstname="Bench"))
    engine.dispose()
    original = merge.store_curves
    if not with_curves:
        merge.store_curves = lambda *args, **kwargs: 0  # type: ignore[assignment]
    try:
        began = time.perf_counter()
        if cli(["import", str(files), "--athlete", "1"]) != 0:
            raise BenchError("the import failed")
        return time.perf_counter() - began
    finally:
        merge.store_curves = original  # type: ignore[assignment]


def ingest(options: argparse.Namespace, workdir: Path) -> str:
    files = workdir / "corpus"
    shutil.copytree(CORPUS, files)
    count = len(list(files.iterdir()))
    # First a run to warm imports and caches, then alternate so drift hits both alike.
    import_once(files, workdir, True)
    with_curves, without = [], []
    for _ in range(options.repeats):
        with_curves.append(import_once(files, workdir, True))
        without.append(import_once(files, workdir, False))
    a, b = statistics.median(with_curves), statistics.median(without)
    return (
        f"ingest: {count} real FIT files imported in {b:.2f} s without curves, {a:.2f} s with "
        f"(median of {options.repeats}): curves add {100 * (a - b) / b:+.1f} % "
        f"(goal < 20 %); runs with {', '.join(f'{x:.2f}' for x in with_curves)} s, without "
        f"{', '.join(f'{x:.2f}' for x in without)} s"
    )


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--athletes", type=int, default=100)
    parser.add_argument("--activities", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-serving", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    options = parser.parse_args()
    options.read_concurrency = None
    return options


def main() -> None:
    options = parse_options()
    began = time.monotonic()
    print(
        f"fitcoach analytics: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="fitcoach-bench-analytics-") as directory:
        workdir = Path(directory)
        lines = []
        if not options.skip_serving:
            lines += serving(options, workdir)
        if not options.skip_ingest:
            lines.append(ingest(options, workdir))
    print(f"\nsummary (goal: p99 < {GOAL_MS:.0f} ms at {options.rate:g} requests/s):")
    for line in lines:
        print("  " + line)
    print(f"run time {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        sys.exit(1)
