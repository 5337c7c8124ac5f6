"""Serving the dashboard's data and the activity API from a large store, against bare SQL.

Loads 1,000 athletes × 1,000 activities (three years each) into SQLite and into
PostgreSQL, serves fitcoach's real app with uvicorn in its own process, and drives
``GET /partials/dashboard`` and ``GET /api/strava/activities`` with concurrent clients
on loopback (a load generator in its own process, each request for a random athlete's
session). The baseline is a bare app (bench/bare_serving_app.py, same uvicorn settings)
that runs exactly the statements the real endpoint ran (captured from it in this run)
with the same driver and returns the rows as JSON, driven the same way. Prints requests
per second and p50/p99 latency of both, fitcoach as a ratio to bare, and peak memory.
Athletes are synced and not dirty, and Strava points at a local listener that counts
connections: the run must make zero Strava calls.

    uv run python bench/serving.py [--clients 16] [--seconds 5] [--rounds 3]
        [--databases sqlite,postgres] [--endpoints dashboard,activities] [--athletes 1000]
        [--activities 1000] [--keep] [--read-concurrency N]

The three servers of an endpoint (below) run side by side and are driven one at a time,
``--rounds`` times in a rotating order; each server's median run is compared, so that a
busy spell on a shared machine does not decide the ratio alone.

fitcoach's page reads take turns (``READ_CONCURRENCY``: one per core by default). The
goal's floor is the bare app reading in the same turns (``--read-concurrency N`` sets both);
the bare app is also run with every one of its 40 pool threads reading at once, as a
plain app would, and fitcoach's ratio to that is printed beside.

The load generator (bench/serving_load.py) speaks plain HTTP/1.1 on asyncio streams by
default, because httpx's client took more of the two cores than the bare server it was
measuring (``--client httpx`` to compare). ``--keep`` keeps both stores for the next run
(a week at most: their newest activities are as old as the load).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import random
import resource
import shutil
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from base64 import b64encode
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import itsdangerous
import numpy as np
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, event, insert, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.core.settings import Settings
from fitcoach.models import Activity, AppSetting, Athlete, SyncState
from fitcoach.sync.webhooks.repository import set_setting
from fitcoach.web.deps import read_slots

BENCH = Path(__file__).parent
POSTGRES = os.environ.get(
    "FITCOACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_DATABASE = "fitcoach_bench_serving"
SECRET_KEY = "bench-serving-secret-key"
SESSION_VERSION = 1  # every loaded athlete's; the cookies carry it
STORE_MARK = "bench.serving.store"  # app_settings key: written once a load is complete
FIRST_ATHLETE = 30_000_000
FIRST_ACTIVITY = 9_000_000_000
YEARS = 3
BATCH = 20_000
ENDPOINTS = {
    "dashboard": "/partials/dashboard",
    "activities": "/api/strava/activities",
    "performance": "/partials/performance",
}
UVICORN = ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]


class BenchError(Exception):
    """An expected failure, reported as one line without a traceback."""


# --- the store --------------------------------------------------------------------------

# (sport, mean speed m/s, median moving time s, outdoor)
SPORTS = (
    ("Ride", 7.2, 5400, True),
    ("Run", 3.0, 3000, True),
    ("Swim", 0.8, 2400, False),
    ("VirtualRide", 8.5, 3600, False),
    ("Walk", 1.4, 3600, True),
    ("WeightTraining", 0.0, 2700, False),
)
PROFILES = {  # how often each kind of athlete does each sport, in SPORTS' order
    "cyclist": (0.55, 0.12, 0.02, 0.21, 0.06, 0.04),
    "runner": (0.08, 0.70, 0.03, 0.03, 0.10, 0.06),
    "triathlete": (0.33, 0.30, 0.22, 0.10, 0.02, 0.03),
}
ZONES = (
    (-8, "(GMT-08:00) America/Los_Angeles"),
    (-5, "(GMT-05:00) America/New_York"),
    (0, "(GMT+00:00) Europe/London"),
    (1, "(GMT+01:00) Europe/Paris"),
    (2, "(GMT+02:00) Europe/Athens"),
    (10, "(GMT+10:00) Australia/Sydney"),
)
POLYLINE = bytes(c for c in range(63, 127) if c != ord("\\"))


def part_of_day(hour: int) -> str:
    return (
        "Morning"
        if hour < 11
        else "Lunch"
        if hour < 14
        else "Afternoon"
        if hour < 18
        else "Evening"
    )


@dataclass(frozen=True)
class AthleteProfile:
    id: int
    kind: str
    utc_offset_h: int
    timezone: str
    ftp: float
    threshold_hr: float
    resting_hr: float
    power_meter: bool


def athlete_profile(index: int) -> AthleteProfile:
    rng = random.Random(index)
    offset, zone = rng.choice(ZONES)
    return AthleteProfile(
        FIRST_ATHLETE + index,
        rng.choice(tuple(PROFILES)),
        offset,
        zone,
        float(rng.randint(180, 320)),
        float(rng.randint(155, 180)),
        float(rng.randint(42, 62)),
        rng.random() < 0.6,
    )


def athlete_row(profile: AthleteProfile, today: date) -> dict[str, Any]:
    rng = random.Random(profile.id)
    goal = rng.random() < 0.3
    return {
        "id": profile.id,
        "firstname": f"Athlete{profile.id % 10_000}",
        "lastname": rng.choice(("Moreau", "Smith", "Okafor", "Lindqvist", "Tanaka", "Rossi")),
        "city": rng.choice(("Lyon", "Leeds", "Boulder", "Girona", "Sydney", "Athens")),
        "country": rng.choice(("France", "United Kingdom", "United States", "Spain")),
        "connected": True,
        "session_version": SESSION_VERSION,
        "sex": rng.choice(("M", "F", None)),
        "weight_kg": round(rng.uniform(52, 90), 1),
        # Half set their thresholds, the others have them estimated from their history.
        "ftp_watts": profile.ftp if rng.random() < 0.5 else None,
        "threshold_hr": profile.threshold_hr if rng.random() < 0.5 else None,
        "max_hr": profile.threshold_hr + 15 if rng.random() < 0.5 else None,
        "resting_hr": profile.resting_hr if rng.random() < 0.5 else None,
        "goal_event_name": "Autumn marathon" if goal else None,
        "goal_event_date": today + timedelta(days=rng.randint(10, 150)) if goal else None,
        "goal_event_priority": rng.choice(("A", "B", "C")) if goal else None,
    }


def activity_rows(
    profile: AthleteProfile, first_id: int, count: int, now: datetime
) -> list[dict[str, Any]]:
    """``count`` activities over the last three years, oldest first, with Strava documents."""
    rng = np.random.default_rng(profile.id)
    days = np.sort(rng.integers(0, YEARS * 365, count))
    seconds_of_day = rng.integers(5 * 3600, 21 * 3600, count)
    sports = rng.choice(len(SPORTS), count, p=PROFILES[profile.kind])
    spread = rng.lognormal(0.0, 0.35, count)
    intensity = rng.uniform(0.55, 1.0, count)
    has_hr = rng.random(count) < 0.75
    polyline_lengths = rng.integers(120, 600, count)
    letters = rng.choice(np.frombuffer(POLYLINE, dtype=np.uint8), int(polyline_lengths.sum()))
    polylines = letters.tobytes().decode()
    flags = rng.random((count, 3))
    midnight = datetime.combine(now.date() - timedelta(days=YEARS * 365), datetime.min.time(), UTC)
    offset = timedelta(hours=profile.utc_offset_h)
    rows = []
    cursor = 0
    for i in range(count):
        name, speed, median, outdoor = SPORTS[int(sports[i])]
        local = midnight + timedelta(days=int(days[i]), seconds=int(seconds_of_day[i]))
        start = local - offset
        moving = int(median * spread[i])
        elapsed = int(moving * (1.05 + 0.2 * flags[i, 0]))
        distance = round(speed * moving * (0.8 + 0.4 * intensity[i]), 1)
        climbing = round(distance / 1000 * (12 if name == "Ride" else 6), 1) if outdoor else 0.0
        hr = round(float(profile.resting_hr + intensity[i] * 100), 1) if has_hr[i] else None
        watts = weighted = kilojoules = None
        is_ride = name in ("Ride", "VirtualRide")
        if is_ride and (profile.power_meter or name == "VirtualRide"):
            weighted = round(profile.ftp * float(intensity[i]), 0)
            watts = round(weighted * 0.93, 1)
            kilojoules = round(watts * moving / 1000, 1)
        hours = moving / 3600
        if weighted is not None:
            load, method = hours * (weighted / profile.ftp) ** 2 * 100, "weighted_average_power"
        elif hr is not None:
            ratio = (hr - profile.resting_hr) / (profile.threshold_hr - profile.resting_hr)
            load, method = hours * ratio**2 * 100, "average_heart_rate"
        elif name == "Run":
            load, method = hours * float(intensity[i]) ** 2 * 100, "average_pace"
        elif name == "Swim":
            load, method = hours * float(intensity[i]) ** 3 * 100, "swim_pace"
        else:
            load, method = hours * 50, "duration_estimate"
        length = int(polyline_lengths[i])
        line = polylines[cursor : cursor + length] if outdoor else ""
        cursor += length
        activity_id = first_id + i
        title = f"{part_of_day(local.hour)} {name}"
        average_speed = round(distance / moving, 3) if moving else 0.0
        document: dict[str, Any] = {
            "resource_state": 2,
            "athlete": {"id": profile.id, "resource_state": 1},
            "name": title,
            "distance": distance,
            "moving_time": moving,
            "elapsed_time": elapsed,
            "total_elevation_gain": climbing,
            "type": name,
            "sport_type": name,
            "workout_type": None,
            "id": activity_id,
            "external_id": f"garmin_ping_{activity_id * 7 % 10**11}",
            "upload_id": activity_id + 1_300_000_000,
            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_date_local": local.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": profile.timezone,
            "utc_offset": float(profile.utc_offset_h * 3600),
            "location_country": "France",
            "achievement_count": activity_id % 7,
            "kudos_count": activity_id % 31,
            "comment_count": activity_id % 3,
            "athlete_count": 1,
            "photo_count": 0,
            "map": {"id": f"a{activity_id}", "summary_polyline": line, "resource_state": 2},
            "trainer": not outdoor,
            "commute": bool(flags[i, 1] < 0.05),
            "manual": False,
            "private": bool(flags[i, 2] < 0.1),
            "visibility": "everyone",
            "flagged": False,
            "average_speed": average_speed,
            "max_speed": round(average_speed * 1.8, 3),
            "has_heartrate": hr is not None,
        }
        if hr is not None:
            document.update(average_heartrate=hr, max_heartrate=hr + 25)
        if watts is not None:
            document.update(
                average_watts=watts,
                weighted_average_watts=weighted,
                kilojoules=kilojoules,
                device_watts=True,
            )
        rows.append(
            {
                "id": activity_id,
                "athlete_id": profile.id,
                "name": title,
                "sport_type": name,
                "start_date": start,
                "start_date_local": local,
                "timezone": profile.timezone,
                "moving_time_s": moving,
                "elapsed_time_s": elapsed,
                "distance_m": distance,
                "elevation_gain_m": climbing,
                "average_watts": watts,
                "weighted_average_watts": weighted,
                "device_watts": watts is not None,
                "kilojoules": kilojoules,
                "average_heartrate": hr,
                "max_heartrate": hr + 25 if hr is not None else None,
                "average_speed": average_speed,
                "trainer": not outdoor,
                "commute": document["commute"],
                "manual": False,
                "private": document["private"],
                "load": round(load, 1),
                "load_method": method,
                "source": "strava_api",
                "raw": document,
            }
        )
    return rows


ACTIVITY_COLUMNS = (
    "id",
    "athlete_id",
    "name",
    "sport_type",
    "start_date",
    "start_date_local",
    "timezone",
    "moving_time_s",
    "elapsed_time_s",
    "distance_m",
    "elevation_gain_m",
    "average_watts",
    "weighted_average_watts",
    "device_watts",
    "kilojoules",
    "average_heartrate",
    "max_heartrate",
    "average_speed",
    "trainer",
    "commute",
    "manual",
    "private",
    "load",
    "load_method",
    "source",
    "raw",
)


def store_marker(athletes: int, activities: int, day: date) -> str:
    return f"{athletes}x{activities} rev {migrations.head_revision()} loaded {day.isoformat()}"


def store_ready(url: URL, athletes: int, activities: int) -> bool:
    """A store left by an earlier --keep run with the same sizes and schema."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            mark = connection.execute(
                select(AppSetting.value).where(AppSetting.key == STORE_MARK)
            ).scalar()
        today = datetime.now(UTC).date()
        recent = {store_marker(athletes, activities, today - timedelta(days=n)) for n in range(7)}
        return mark in recent
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def load_store(kind: str, url: URL, athletes: int, activities: int) -> None:
    """Migrate with the project's Alembic upgrade, then bulk-load athletes and activities."""
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        now = datetime.now(UTC).replace(microsecond=0)
        profiles = [athlete_profile(i) for i in range(athletes)]
        with engine.begin() as connection:
            connection.execute(insert(Athlete), [athlete_row(p, now.date()) for p in profiles])
        total = athletes * activities
        began = time.monotonic()
        step = max(total // 10, 1)
        shown = 0

        def progress(done: int) -> None:
            nonlocal shown
            if done - shown >= step or done == total:
                shown = done
                rate = done / max(time.monotonic() - began, 1e-9)
                print(f"  {kind}: {done:>9,} / {total:,} activities ({rate:,.0f}/s)", flush=True)

        if kind == "postgres":
            copy_activities(engine, profiles, activities, now, progress)
        else:
            insert_activities(engine, profiles, activities, now, progress)
        with engine.begin() as connection:
            connection.execute(insert(SyncState), [sync_row(p, activities, now) for p in profiles])
        if kind == "postgres":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a load
        else:
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        with transaction(session_factory(engine)) as session:
            set_setting(session, STORE_MARK, store_marker(athletes, activities, now.date()))
    finally:
        engine.dispose()


def sync_row(profile: AthleteProfile, activities: int, now: datetime) -> dict[str, Any]:
    """Synced within the last hours, not dirty, history complete: views need no Strava call."""
    rng = random.Random(profile.id)
    return {
        "athlete_id": profile.id,
        "last_sync_at": now - timedelta(minutes=rng.randint(1, 360)),
        "newest_activity_at": now - timedelta(days=1),
        "dirty": False,
        "backfill_cursor": now - timedelta(days=YEARS * 365),
        "backfill_done": True,
        "backfill_fetched": activities,
        "consecutive_failures": 0,
    }


def batches(
    profiles: list[AthleteProfile], activities: int, now: datetime
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for index, profile in enumerate(profiles):
        batch.extend(activity_rows(profile, FIRST_ACTIVITY + index * activities, activities, now))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_activities(
    engine: Engine,
    profiles: list[AthleteProfile],
    activities: int,
    now: datetime,
    progress: Callable[[int], None],
) -> None:
    """SQLAlchemy core insert, executemany per batch: the app's own types write each value."""
    done = 0
    for batch in batches(profiles, activities, now):
        with engine.begin() as connection:
            connection.execute(insert(Activity), batch)
        done += len(batch)
        progress(done)


def copy_activities(
    engine: Engine,
    profiles: list[AthleteProfile],
    activities: int,
    now: datetime,
    progress: Callable[[int], None],
) -> None:
    """PostgreSQL COPY through psycopg 3."""
    columns = ", ".join(ACTIVITY_COLUMNS)
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        done = 0
        for batch in batches(profiles, activities, now):
            statement = f"COPY activities ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in batch:
                    row["raw"] = json.dumps(row["raw"], separators=(",", ":"))
                    copy.write_row(tuple(row[c] for c in ACTIVITY_COLUMNS))
            connection.commit()
            done += len(batch)
            progress(done)
    finally:
        raw.close()


def store_size(kind: str, url: URL) -> int:
    if kind == "sqlite":
        return sum(
            Path(f"{url.database}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{url.database}{suffix}").exists()
        )
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            size = connection.execute(text("SELECT pg_database_size(current_database())"))
            return int(size.scalar() or 0)
    finally:
        engine.dispose()


@dataclass
class Store:
    kind: str
    url: URL
    loaded_in: float | None  # None: reused from an earlier --keep run
    size: int = 0


def postgres_admin() -> Engine:
    admin = create_engine(
        make_url(POSTGRES).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        admin.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise BenchError(f"PostgreSQL not reachable at {POSTGRES}: {reason}") from error
    return admin


def prepare_store(kind: str, options: argparse.Namespace, workdir: Path) -> Store:
    if kind == "sqlite":
        directory = options.store_dir if options.keep else workdir
        directory.mkdir(parents=True, exist_ok=True)
        url = make_url(f"sqlite:///{directory / 'serving.db'}")
    else:
        url = make_url(POSTGRES).set(drivername="postgresql+psycopg", database=PG_DATABASE)
    if options.keep and store_ready(url, options.athletes, options.activities):
        print(f"  {kind}: reusing the store kept by an earlier --keep run", flush=True)
        return Store(kind, url, None, store_size(kind, url))
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
    else:
        drop_postgres_store()  # a half-loaded one of an interrupted run, or a kept one
        admin = postgres_admin()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
        admin.dispose()
    began = time.monotonic()
    load_store(kind, url, options.athletes, options.activities)
    return Store(kind, url, time.monotonic() - began, store_size(kind, url))


def drop_postgres_store() -> None:
    admin = postgres_admin()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
    admin.dispose()


# --- sessions, Strava, servers ------------------------------------------------------------


def session_cookie(athlete_id: int, csrf: str) -> str:
    """The cookie Starlette's SessionMiddleware would set after the login (same signer),
    with the login's version and times as fitcoach.web.sessions writes them."""
    stamp = int(time.time())
    login = {
        "athlete_id": athlete_id,
        "session_version": SESSION_VERSION,
        "issued_at": stamp,
        "seen_at": stamp,
        "csrf": csrf,
    }
    payload = b64encode(json.dumps(login).encode())
    return itsdangerous.TimestampSigner(SECRET_KEY).sign(payload).decode()


class StravaListener:
    """Stands where Strava would be and counts every connection made to it (want: none)."""

    def __init__(self) -> None:
        listener = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                listener.connections += 1
                self.request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
                )

        self.connections = 0
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(
    database: URL, data_dir: Path, strava: str, plan: Path, read_concurrency: int
) -> dict[str, str]:
    # No setting leaks in from the machine (as in the tests); the embedded mode otherwise.
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env.update(
        DATABASE_URL=database.render_as_string(hide_password=False),
        DATA_DIR=str(data_dir),
        SECRET_KEY=SECRET_KEY,
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        STRAVA_BASE_URL=strava,
        STRAVA_CLIENT_ID="1",
        STRAVA_CLIENT_SECRET="bench",
        LOG_LEVEL="WARNING",
        BENCH_SQL_PLAN=str(plan),
        READ_CONCURRENCY=str(read_concurrency),
        PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")])),
    )
    return env


def start_server(target: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", target, "--port", str(port), *UVICORN]
    process = subprocess.Popen(command, env=env, cwd=BENCH)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{target} exited with status {process.returncode} at start")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process, port
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise BenchError(f"{target} did not answer /healthz within 90 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def proc_status_kb(pid: int, field_name: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


# --- the endpoint's SQL -------------------------------------------------------------------


@dataclass
class Captured:
    statements: list[tuple[str, Any]]
    checkouts: int


def capture_sql(
    database: URL, workdir: Path, strava: str, athlete_id: int, paths: list[str]
) -> dict[str, Captured]:
    """Run each real endpoint in-process and record what reached the driver (as echo)."""
    with warnings.catch_warnings():  # starlette's note about httpx, not ours to act on
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from fitcoach.app import create_app
    from fitcoach.core.settings import load_settings

    settings = load_settings(
        database_url=database.render_as_string(hide_password=False),
        data_dir=workdir / "capture",
        secret_key=SECRET_KEY,
        strava_base_url=strava,
        strava_client_id="1",
        strava_client_secret="bench",
    )
    app = create_app(settings)
    engine: Engine = app.state.services.engine
    seen: list[tuple[str, Any]] = []
    checkouts = [0]

    def statement(_c: Any, _cur: Any, sql: str, parameters: Any, _x: Any, _many: bool) -> None:
        seen.append((sql, parameters))

    def checkout(*_args: Any) -> None:
        checkouts[0] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine.pool, "checkout", checkout)
    cookie = session_cookie(athlete_id, "capture")
    captured: dict[str, Captured] = {}
    try:
        with TestClient(app) as client:
            for path in paths:
                for _ in range(2):  # the last run is recorded, after first-use work
                    seen.clear()
                    checkouts[0] = 0
                    response = client.get(path, headers={"cookie": f"fitcoach_session={cookie}"})
                    if response.status_code != 200:
                        raise BenchError(
                            f"fitcoach answered {response.status_code} to {path} with a "
                            f"minted session: {response.text[:200]}"
                        )
                captured[path] = Captured(list(seen), checkouts[0])
    finally:
        engine.dispose()
    return captured


# --- one measured run ---------------------------------------------------------------------


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    server_cpu: float = 0.0  # share of one core
    loader_cpu: float = 0.0
    machine_busy: float = 0.0  # share of all cores
    server_peak_kb: int = 0
    loader_peak_kb: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def quantile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000


def drive(
    server: subprocess.Popen[bytes],
    port: int,
    path: str,
    sessions: list[tuple[int, str]],
    options: argparse.Namespace,
) -> Run:
    orders = {
        "port": port,
        "path": path,
        "sessions": sessions,
        "clients": options.clients,
        "warmup": options.warmup,
        "seconds": options.seconds,
        "client": options.client,
    }
    loader = subprocess.Popen(
        [sys.executable, str(BENCH / "serving_load.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert loader.stdin is not None and loader.stdout is not None
    loader.stdin.write(json.dumps(orders))
    loader.stdin.close()
    marks: dict[str, tuple[float, float, tuple[float, float]]] = {}
    result: dict[str, Any] | None = None
    for line in loader.stdout:
        word = line.strip()
        if word in ("measuring", "measured"):
            marks[word] = (time.monotonic(), cpu_seconds(server.pid), machine_busy())
        elif word.startswith("{"):
            result = json.loads(word)
    if loader.wait() != 0 or result is None or len(marks) != 2:
        raise BenchError(f"the load generator failed (status {loader.returncode})")
    (t0, s0, (b0, all0)), (t1, s1, (b1, all1)) = marks["measuring"], marks["measured"]
    run = Run(
        requests=len(result["latencies"]),
        seconds=options.seconds,
        latencies=result["latencies"],
        errors=result["errors"],
        server_cpu=(s1 - s0) / (t1 - t0),
        loader_cpu=result["cpu_seconds"] / options.seconds,
        machine_busy=(b1 - b0) / max(all1 - all0, 1.0),
        server_peak_kb=proc_status_kb(server.pid, "VmHWM"),
        loader_peak_kb=int(result["peak_rss_kb"]),
    )
    if not run.requests:
        raise BenchError(f"no request to {path} completed in {options.seconds} s")
    return run


def check_fitcoach(port: int, path: str, sessions: list[tuple[int, str]]) -> None:
    """One request before the run: the minted session is accepted, the answer is real."""
    athlete, cookie = sessions[0]
    response = httpx.get(
        f"http://127.0.0.1:{port}{path}",
        headers={"cookie": f"fitcoach_session={cookie}"},
        timeout=60,
    )
    if response.status_code != 200:
        raise BenchError(f"fitcoach answered {response.status_code} to {path}")
    if path == ENDPOINTS["activities"]:
        answer = response.json()
        if len(answer["activities"]) != 50 or answer["freshness"]["refreshed"]:
            raise BenchError(f"{path} for athlete {athlete} did not serve 50 stored activities")
    if path == ENDPOINTS["dashboard"] and "activities stored" not in response.text:
        raise BenchError(f"{path} for athlete {athlete} did not show the stored activities")


# --- the report ---------------------------------------------------------------------------


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def run_line(label: str, run: Run) -> str:
    return (
        f"  {label:<27}{run.rps:>8.1f}{run.quantile(50):>9.1f}{run.quantile(99):>9.1f}"
        f"{len(run.errors):>8}{run.server_cpu:>9.0%}{run.loader_cpu:>9.0%}"
        f"{run.machine_busy:>9.0%}{mb(run.server_peak_kb):>10}"
    )


HEADER = (
    f"  {'':<27}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'server':>9}"
    f"{'loader':>9}{'machine':>9}{'peak RSS':>10}"
)


# The three servers of a run. The bare app reads in the same turns fitcoach takes
# (READ_CONCURRENCY) and, as a second floor, with every pool thread at once (how a plain
# app runs; 40 is the thread pool Starlette hands sync work to).
PLAIN, BARE, OURS = "bare, all threads", "bare, same turns", "fitcoach"
POOL_THREADS = 40


@dataclass
class Outcome:
    """One endpoint on one database: every run of each server, judged by the median."""

    database: str
    endpoint: str
    runs: dict[str, list[Run]]

    def median(self, label: str) -> Run:
        """The run with the median rate (the lower middle one of an even count)."""
        ordered = sorted(self.runs[label], key=lambda run: run.rps)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def plain(self) -> Run:
        return self.median(PLAIN)

    @property
    def bare(self) -> Run:
        return self.median(BARE)

    @property
    def ours(self) -> Run:
        return self.median(OURS)

    @property
    def ratio(self) -> float:
        """The goal's ratio: against the bare SQL read in the same turns."""
        return self.ours.rps / self.bare.rps

    @property
    def plain_ratio(self) -> float:
        return self.ours.rps / self.plain.rps

    def peak_kb(self, label: str, field_name: str) -> int:
        return max(int(getattr(run, field_name)) for run in self.runs[label])


SERVERS = (
    (PLAIN, "bare_serving_app:create_app"),
    (BARE, "bare_serving_app:create_app"),
    (OURS, "fitcoach.app:create_app_from_env"),
)


def measure_endpoint(
    store: Store,
    name: str,
    path: str,
    plan: Path,
    sessions: list[tuple[int, str]],
    options: argparse.Namespace,
    workdir: Path,
    strava: StravaListener,
) -> Outcome:
    """Start the three servers, then drive each in turn, ``--rounds`` times: the order
    rotates every round, so that a busy spell on this shared machine falls on all three
    alike rather than on one server's only run."""
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    runs: dict[str, list[Run]] = {label: [] for label, _ in SERVERS}
    try:
        for index, (label, target) in enumerate(SERVERS):
            turns = POOL_THREADS if label == PLAIN else options.read_concurrency
            data_dir = workdir / f"data-{store.kind}-{name}-{index}"
            env = server_env(store.url, data_dir, strava.url, plan, turns)
            servers[label] = start_server(target, env)
        check_fitcoach(servers[OURS][1], path, sessions)
        for round_number in range(options.rounds):
            shift = round_number % len(SERVERS)
            for label, _ in SERVERS[shift:] + SERVERS[:shift]:
                server, port = servers[label]
                run = drive(server, port, path, sessions, options)
                runs[label].append(run)
                print(run_line(f"{label} ({round_number + 1})", run), flush=True)
    finally:
        for server, _ in servers.values():
            stop_server(server)
    return Outcome(store.kind, name, runs)


def report_endpoint(outcome: Outcome) -> None:
    for label, _ in SERVERS:
        rates = " / ".join(f"{run.rps:.0f}" for run in outcome.runs[label])
        print(f"  {label + ' (median)':<27}{outcome.median(label).rps:>8.1f}   runs: {rates}")
    for baseline, ratio, label in (
        (outcome.bare, outcome.ratio, "÷ same turns"),
        (outcome.plain, outcome.plain_ratio, "÷ all threads"),
    ):
        p50 = outcome.ours.quantile(50) / baseline.quantile(50)
        p99 = outcome.ours.quantile(99) / baseline.quantile(99)
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(
            f"  {'fitcoach ' + label:<27}{ratio:>7.2f}×{p50:>8.2f}×{p99:>8.2f}×"
            f"   goal ≥ 0.50 × bare req/s: {verdict}",
            flush=True,
        )
    for label, _ in SERVERS:
        errors = [error for run in outcome.runs[label] for error in run.errors]
        if errors:
            kinds = sorted(set(errors))
            print(f"  {label} errors: {len(errors)} ({', '.join(kinds[:5])})", flush=True)


def measure_database(
    store: Store,
    endpoints: list[str],
    options: argparse.Namespace,
    workdir: Path,
    strava: StravaListener,
) -> list[Outcome]:
    paths = [ENDPOINTS[name] for name in endpoints]
    rng = random.Random(7)
    sessions = [
        (FIRST_ATHLETE + i, session_cookie(FIRST_ATHLETE + i, f"csrf-{rng.getrandbits(64):x}"))
        for i in range(options.athletes)
    ]
    captured_athlete = FIRST_ATHLETE + options.athletes // 2
    captured = capture_sql(store.url, workdir, strava.url, captured_athlete, paths)
    plan = workdir / f"plan-{store.kind}.pickle"
    plan.write_bytes(
        pickle.dumps(
            {
                "athlete": captured_athlete,
                "statements": {p: c.statements for p, c in captured.items()},
            }
        )
    )
    outcomes = []
    for name, path in zip(endpoints, paths, strict=True):
        ran = captured[path]
        print(
            f"\n{store.kind} {path}: the endpoint ran {len(ran.statements)} statements "
            f"on {ran.checkouts} pooled connections; bare runs them on 1",
            flush=True,
        )
        if options.show_sql:
            for sql, parameters in ran.statements:
                print(f"    {' '.join(sql.split())}  {parameters!r}")
        print(HEADER, flush=True)
        outcome = measure_endpoint(store, name, path, plan, sessions, options, workdir, strava)
        report_endpoint(outcome)
        outcomes.append(outcome)
    return outcomes


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--athletes", type=positive, default=1000)
    parser.add_argument("--activities", type=positive, default=1000, help="per athlete")
    parser.add_argument("--clients", type=positive, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured, per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument(
        "--rounds",
        type=positive,
        default=3,
        help="runs of each server, interleaved; the median run is reported",
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--read-concurrency",
        type=int,
        default=0,
        help="READ_CONCURRENCY for both servers: page reads at once (0: one per core)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="the load generator's HTTP client (raw: asyncio streams, the least CPU)",
    )
    parser.add_argument(
        "--endpoints",
        default="dashboard,activities",
        help=f"any of {','.join(ENDPOINTS)}",
    )
    parser.add_argument(
        "--show-sql",
        action="store_true",
        help="print the statements captured from each endpoint (the bare app runs these)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the loaded stores and reuse them when the sizes match "
        "(without it, each store is loaded afresh and removed at the end)",
    )
    parser.add_argument(
        "--store-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fitcoach-bench-serving",
        help="where --keep keeps the SQLite store",
    )
    options = parser.parse_args()
    databases = [d.strip() for d in options.databases.split(",") if d.strip()]
    endpoints = [e.strip() for e in options.endpoints.split(",") if e.strip()]
    if not databases or set(databases) - {"sqlite", "postgres"}:
        parser.error("--databases: a comma-separated list of sqlite and postgres")
    if not endpoints or set(endpoints) - set(ENDPOINTS):
        parser.error(f"--endpoints: a comma-separated list of {', '.join(ENDPOINTS)}")
    if options.read_concurrency < 0:
        parser.error("--read-concurrency must be 0 (one per core) or more")
    if options.seconds <= 0 or options.warmup < 0:
        parser.error("--seconds must be positive and --warmup not negative")
    options.databases, options.endpoints = databases, endpoints
    return options


def main() -> None:
    options = parse_options()
    print(
        f"fitcoach serving: {options.athletes:,} athletes × {options.activities:,} activities, "
        f"{options.clients} clients, {options.rounds} interleaved runs of each server, "
        f"{options.seconds:g} s each after {options.warmup:g} s of warm-up, "
        f"{os.cpu_count()} cores, load average "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}, page reads "
        f"{read_slots(options.read_concurrency)} at a time in both servers",
        flush=True,
    )
    print(
        "columns: server and loader = CPU of the server and of the load generator process "
        "(one core = 100 %); machine = all cores busy, other jobs included; (n) = round n; "
        "ratios compare the median runs",
        flush=True,
    )
    if "postgres" in options.databases:
        try:
            postgres_admin().dispose()
        except BenchError as error:
            print(f"postgres: skipped, SQLite only ({error})", flush=True)
            options.databases.remove("postgres")
    strava = StravaListener()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="fitcoach-bench-serving-") as directory:
        workdir = Path(directory)
        try:
            for kind in options.databases:
                store = prepare_store(kind, options, workdir)
                how = (
                    "kept from an earlier run"
                    if store.loaded_in is None
                    else f"loaded in {store.loaded_in:.0f} s"
                )
                print(f"  {kind}: store of {store.size / 2**30:.2f} GiB, {how}", flush=True)
                outcomes += measure_database(store, options.endpoints, options, workdir, strava)
        finally:
            strava.close()
            # The SQLite store lives in workdir; PostgreSQL's goes too, even half-loaded.
            if not options.keep and "postgres" in options.databases:
                with contextlib.suppress(BenchError, SQLAlchemyError):
                    drop_postgres_store()
            shutil.rmtree(workdir, ignore_errors=True)
    if not outcomes:
        raise BenchError("nothing was measured")
    print(
        "\nsummary (fitcoach req/s as a share of bare SQL's, same clients, same run; "
        "the goal is judged against the bare app reading in the same turns):"
    )
    for outcome in outcomes:
        verdict = "met" if outcome.ratio >= 0.5 else "NOT met"
        print(
            f"  {outcome.database:<9}{outcome.endpoint:<12}{outcome.ratio:>6.2f}  "
            f"(goal ≥ 0.50: {verdict}; {outcome.plain_ratio:.2f} of the bare app "
            "with all threads reading)"
        )
    loader_peak = max(o.peak_kb(label, "loader_peak_kb") for o in outcomes for label in o.runs)
    fitcoach_peak = max(o.peak_kb(OURS, "server_peak_kb") for o in outcomes)
    bare_peak = max(o.peak_kb(label, "server_peak_kb") for o in outcomes for label in (PLAIN, BARE))
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"peak RSS: fitcoach server {mb(fitcoach_peak)}, bare server {mb(bare_peak)}, "
        f"load generator {mb(loader_peak)}, this process (loading, capture) {mb(own_peak)}"
    )
    print(f"Strava connections attempted: {strava.connections} (want 0)")
    if strava.connections:
        raise BenchError("fitcoach called Strava while serving from the store")


if __name__ == "__main__":
    try:
        main()
    except BenchError as failure:
        print(f"serving benchmark: {failure}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("serving benchmark: interrupted", file=sys.stderr)
        sys.exit(130)
