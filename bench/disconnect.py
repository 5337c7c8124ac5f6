"""Benchmark of disconnecting Strava for an athlete with 838 Strava activities and 50 own
files: how long the deletion takes, what is left, and whether the fitness history stayed.

Run: uv run python bench/disconnect.py [--strava 838] [--own 50] [--database URL]

The athlete is built as tests/accounts/disconnect_support.py builds it (Strava's API
activities with streams for every fourth, FIT files imported from a folder, settings and
a goal, a Strava connection with tokens); then ``forget_strava``, the data side of
"Disconnect Strava" (the deauthorization at Strava is one request before it), is timed.
The default database is a temporary SQLite file; ``--database postgres`` makes a fresh
PostgreSQL database (fitcoach_bench_disconnect, beside FITCOACH_TEST_POSTGRES_URL's) and
drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from fitcoach.sync.connection import forget_strava
from tests.accounts.disconnect_support import connect, fill, held
from tests.stores import make_store

TODAY = date(2026, 6, 1)
POSTGRES = os.environ.get(
    "FITCOACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_DATABASE = "fitcoach_bench_disconnect"


def postgres_database(create: bool) -> URL:
    """The bench's own PostgreSQL database, made empty (``create``) or dropped."""
    admin = create_engine(make_url(POSTGRES), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        if create:
            connection.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    admin.dispose()
    return make_url(POSTGRES).set(database=PG_DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strava", type=int, default=838)
    parser.add_argument("--own", type=int, default=50)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        postgres = args.database == "postgres"
        url = postgres_database(True) if postgres else make_url(f"sqlite:///{work / 'bench.db'}")
        store, engine = make_store(url)
        started = time.perf_counter()
        connect(store)
        fill(store, args.strava, args.own, TODAY, work / "own")
        print(
            f"built: {args.strava} Strava activities and {args.own} own files on "
            f"{url.get_backend_name()} in {time.perf_counter() - started:.1f} s"
        )
        before = held(store, TODAY)
        started = time.perf_counter()
        deleted = forget_strava(store.sessions, store.athlete_id, TODAY, reason="bench")
        seconds = time.perf_counter() - started
        after = held(store, TODAY)
        engine.dispose()
        if postgres:
            postgres_database(False)

    drift = max(
        (abs(a - b) for a, b in zip(before.ctl + before.atl, after.ctl + after.atl, strict=True)),
        default=0.0,
    )
    print(f"disconnect: {deleted} Strava activities deleted in {seconds * 1000:.0f} ms")
    print(f"activities before: {before.by_source}; after: {after.by_source}")
    print(
        f"streams {before.streams} -> {after.streams}; imported files {len(before.files)} -> "
        f"{len(after.files)}; carried daily loads {before.carried} -> {after.carried} "
        f"(load {before.api_load:.1f} -> {after.carried_load:.1f})"
    )
    print(
        f"own files kept: {after.own_ids == before.own_ids}; settings and goal kept: "
        f"{after.settings == before.settings}; Strava connection left: {after.connected}"
    )
    print(f"fitness history: {len(after.ctl)} days, largest CTL/ATL change {drift:.2e}")
    if after.own_ids != before.own_ids or after.settings != before.settings or after.connected:
        sys.exit("the disconnect did not leave exactly the own files, settings and goal")


if __name__ == "__main__":
    main()
