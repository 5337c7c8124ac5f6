"""Benchmark of the MCP tools: p50 / p99 / max of each tool call, in-process, for an
athlete with 1,000 activities of their own.

Run: uv run python bench/mcp_tools.py [--activities N] [--calls N] [--database-url URL]

The store is built through the project's migrations (SQLite in a temporary folder unless
``--database-url`` names another, e.g. an empty PostgreSQL database): one athlete with N
activities from their own files over the last N/2 days (rides with power and heart rate,
runs, swims; loads computed), each ride's power and heart-rate curves and each run's pace
curve stored as a stream import stores them, the newest ride with an hour of 1 Hz streams,
and a plan toward a goal ten weeks ahead. Each call goes
through the SDK: ``mcp.Client`` connected in memory to the server ``build_server`` makes
(the same server ``/mcp`` and ``fitcoach mcp`` serve: argument validation, the registry's
checks, the policy, the size bound, the audit line, the structured answer), without HTTP
in between; ``move_workout`` (a write: a new plan version each call) moves one session
back and forth. Goal: every tool's p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from sqlalchemy import make_url, select

from fitcoach import migrations
from fitcoach.activities.curves import curves_of
from fitcoach.activities.loads import compute_loads
from fitcoach.activities.repository import replace_curves
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.mcp.server import ServerSetup, build_server
from fitcoach.mcp.tokens import Caller, Scope
from fitcoach.models import Activity, ActivityStreams, Athlete
from fitcoach.planning.schemas import cli_goal_settings
from fitcoach.planning.service import set_goal

GOAL_MS = 100.0
ATHLETE = 1
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SPORTS = ("Ride", "Run", "Swim")


def build_store(url: str, activities: int) -> Any:
    engine = make_engine(make_url(url))
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.add(Athlete(id=ATHLETE, firstname="Bench", ftp_watts=260.0, threshold_hr=168))
        session.flush()  # the athlete's row before the activities that refer to it
        for i in range(activities):
            sport = SPORTS[i % 3]
            start = NOW - timedelta(hours=12 * i + 6)
            seconds = {"Ride": 5400, "Run": 2700, "Swim": 1800}[sport]
            session.add(
                Activity(
                    athlete_id=ATHLETE,
                    name=f"{sport} {i}",
                    sport_type=sport,
                    start_date=start,
                    start_date_local=start + timedelta(hours=1),
                    moving_time_s=seconds,
                    elapsed_time_s=seconds + 120,
                    distance_m={"Ride": 45_000.0, "Run": 9_000.0, "Swim": 2_000.0}[sport],
                    elevation_gain_m=300.0 if sport != "Swim" else 0.0,
                    average_watts=190.0 + i % 40 if sport == "Ride" else None,
                    weighted_average_watts=205.0 + i % 40 if sport == "Ride" else None,
                    device_watts=sport == "Ride",
                    average_heartrate=140.0 + i % 15,
                    max_heartrate=170.0 + i % 15,
                    average_speed=None,
                    source="file",
                )
            )
    compute_loads(sessions, ATHLETE, NOW.date())
    store_curves(sessions)
    with transaction(sessions) as session:
        ride = session.scalars(
            select(Activity.id)
            .where(Activity.sport_type == "Ride")
            .order_by(Activity.start_date.desc())
        ).first()
        assert ride is not None
        session.add(
            ActivityStreams(
                activity_id=ride,
                streams={
                    "time": list(range(3600)),
                    "watts": [200 + 80 * math.sin(t / 60) for t in range(3600)],
                    "heartrate": [140 + 20 * math.sin(t / 90) for t in range(3600)],
                },
            )
        )
    with transaction(sessions) as session:
        goal = cli_goal_settings(
            "Bench 100", str(NOW.date() + timedelta(days=70)), "A", "ride", 8, NOW.date()
        )
        set_goal(session, ATHLETE, goal, now=NOW)
    return engine, sessions, ride


def store_curves(sessions: Any) -> None:
    """Every ride's and run's curves, as computing them from an activity's streams stores
    them: each sport's curve computed once from synthetic streams, then varied per activity
    so the bests come from different activities."""
    seconds = range(5400)
    ride = curves_of(
        "Ride",
        {
            "time": list(seconds),
            "watts": [200 + 120 * math.sin(t / 45) ** 3 for t in seconds],
            "heartrate": [140 + 20 * math.sin(t / 90) for t in seconds],
        },
    )
    run = curves_of(
        "Run",
        {
            "time": list(range(2700)),
            "distance": [3.3 * t + 40 * math.sin(t / 30) for t in range(2700)],
        },
    )
    with transaction(sessions) as session:
        rows = session.execute(
            select(Activity.id, Activity.start_date, Activity.sport_type).where(
                Activity.sport_type.in_(("Ride", "Run"))
            )
        ).all()
        for activity_id, start, sport in rows:
            factor = 1 + (activity_id % 40) / 200
            curves = ride if sport == "Ride" else run
            replace_curves(
                session,
                activity_id,
                ATHLETE,
                start,
                {
                    kind: [
                        [p.key, p.value * factor if sport == "Ride" else p.value / factor]
                        for p in points
                    ]
                    for kind, points in curves.items()
                },
            )


def calls(ride: int) -> list[tuple[str, dict[str, Any]]]:
    today = NOW.date()
    return [
        ("get_fitness_and_form", {}),
        ("get_fitness_and_form", {"start": str(today - timedelta(days=365))}),
        ("get_week_summary", {}),
        ("list_activities", {}),
        ("list_activities", {"sport_types": ["Run"], "min_distance_km": 5, "limit": 100}),
        ("get_activity", {"activity_id": ride}),
        ("get_thresholds", {}),
        ("get_best_efforts", {"curve": "power", "period": "all"}),
        ("get_best_efforts", {"curve": "pace", "sport": "run", "period": "1y"}),
        ("get_plan", {"end": str(today + timedelta(days=27))}),
    ]


async def measure_moves(client: Client, repeats: int) -> list[float]:
    """``move_workout`` back and forth: the same session between two days, each call a
    new plan version and a re-plan of the weeks around it."""
    plan = await client.call_tool("get_plan", {"end": str(NOW.date() + timedelta(days=13))})
    assert plan.structured_content is not None
    days = plan.structured_content["days"]
    session_day = next(d for d in days if d["sessions"] and d["day"] > str(NOW.date()))
    rest_day = next(d for d in days if not d["sessions"] and d["day"] > str(NOW.date()))
    workout = session_day["sessions"][0]["id"]
    samples = []
    for i in range(repeats):
        to_day = rest_day["day"] if i % 2 == 0 else session_day["day"]
        started = time.perf_counter()
        result = await client.call_tool("move_workout", {"workout_id": workout, "to_day": to_day})
        samples.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            raise SystemExit(f"move_workout failed: {result.content}")
        moved = result.structured_content
        assert moved is not None
        workout = next(
            s["id"] for d in moved["plan"]["days"] if d["day"] == to_day for s in d["sessions"]
        )
    return samples


async def measure(setup: ServerSetup, ride: int, repeats: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    async with Client(build_server(setup)) as client:
        for name, arguments in calls(ride):
            key = name + ("" if not arguments or name == "get_activity" else f" {arguments}")
            await client.call_tool(name, arguments)  # warm-up
            samples = timings.setdefault(key, [])
            for _ in range(repeats):
                started = time.perf_counter()
                result = await client.call_tool(name, arguments)
                samples.append((time.perf_counter() - started) * 1000)
                if result.is_error:
                    raise SystemExit(f"{key} failed: {result.content}")
        timings["move_workout (read-write)"] = await measure_moves(client, max(10, repeats // 4))
    return timings


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per tool")
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        engine, sessions, ride = build_store(url, options.activities)
        print(
            f"store: {options.activities} activities on {engine.url.get_backend_name()}, "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        setup = ServerSetup(
            sessions, lambda: NOW, False, 256 * 1024, Caller(ATHLETE, Scope.READ_WRITE), "bench"
        )
        # As ``fitcoach serve`` does after startup (app.create_app_from_env): what lives as
        # long as the process is kept out of the collector's generations.
        gc.collect()
        gc.freeze()
        timings = anyio.run(measure, setup, ride, options.calls)
        engine.dispose()
    missed = 0
    print(f"{'tool call':<78} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for key, samples in timings.items():
        worst = p99(samples)
        verdict = "PASS" if worst < GOAL_MS else "MISS"
        missed += verdict == "MISS"
        print(
            f"{key:<78} {statistics.median(samples):7.1f} {worst:7.1f} "
            f"{max(samples):7.1f} {verdict}"
        )
    print(f"goal: p99 < {GOAL_MS:.0f} ms per tool call; {missed} missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
