"""The store bench/serving.py serves from: athletes × activities (three years each, with
their Strava documents), loaded into SQLite or PostgreSQL through the project's migrations
and models' types (PostgreSQL by COPY), every athlete synced and not dirty."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, AppSetting, Athlete, SyncState
from fitcoach.sync.webhooks.repository import set_setting

POSTGRES = os.environ.get(
    "FITCOACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_DATABASE = "fitcoach_bench_serving"
STORE_MARK = "bench.serving.store"  # app_settings key: written once a load is complete
SESSION_VERSION = 1  # every loaded athlete's; the cookies carry it
FIRST_ATHLETE = 30_000_000
FIRST_ACTIVITY = 9_000_000_000
YEARS = 3
BATCH = 20_000


class BenchError(Exception):
    """An expected failure, reported as one line without a traceback."""


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
                "start_day": local.date(),
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
            # Outside a transaction: a checkpoint inside one cannot truncate the log.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
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
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        done = 0
        for batch in batches(profiles, activities, now):
            columns = list(batch[0])  # activity_rows' keys: the table's column names
            statement = f"COPY activities ({', '.join(columns)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in batch:
                    row["raw"] = json.dumps(row["raw"], separators=(",", ":"))
                    copy.write_row(tuple(row[c] for c in columns))
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


def prepare_store(kind: str, athletes: int, activities: int, directory: Path, keep: bool) -> Store:
    """The store of ``kind`` (``sqlite`` in ``directory``, or ``postgres``), loaded afresh
    unless ``keep`` and an earlier run kept one of these sizes."""
    if kind == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        url = make_url(f"sqlite:///{directory / 'serving.db'}")
    else:
        url = make_url(POSTGRES).set(drivername="postgresql+psycopg", database=PG_DATABASE)
    if keep and store_ready(url, athletes, activities):
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
    load_store(kind, url, athletes, activities)
    return Store(kind, url, time.monotonic() - began, store_size(kind, url))


def drop_postgres_store() -> None:
    admin = postgres_admin()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
    admin.dispose()
