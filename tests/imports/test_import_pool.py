"""An archive parsed by a pool of processes stores exactly what one process stores, with
the same refusals (their reasons cross the process boundary whole); the import page's
estimate of the time left."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from fitcoach.imports.jobs import seconds_left
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.pool import Parser, processes_for
from fitcoach.imports.service import POOL_FROM_FILES, import_path
from fitcoach.models import Activity, ImportJob
from tests.imports.builders import archive_items, fit_file, write_archive
from tests.stores import Store, make_store

START = datetime(2023, 5, 1, tzinfo=UTC)


def stored(store: Store) -> list[tuple[object, ...]]:
    with store.sessions() as session:
        rows = session.execute(
            select(
                Activity.claimed_strava_id,
                Activity.strava_id,
                Activity.sport_type,
                Activity.start_date,
                Activity.moving_time_s,
                Activity.distance_m,
                Activity.load,
                Activity.load_method,
            ).order_by(Activity.start_date)
        )
        return [tuple(row) for row in rows]


def test_a_pool_of_two_stores_what_one_process_stores(store: Store, tmp_path: Path) -> None:
    items = list(archive_items(POOL_FROM_FILES + 4, START, seconds=120))
    # A damaged file: reported by its reason, its CSV row still imported as a summary.
    broken = items[3].filename
    truncated = gzip.compress(fit_file(items[3].workout)[:700])
    archive = write_archive(tmp_path / "export.zip", items, replace={broken: truncated})
    alone = import_path(store.sessions, store.athlete_id, archive, Limits(), processes=1)
    other, engine = make_store(make_url(f"sqlite:///{tmp_path / 'pooled.db'}"))
    try:
        pooled = import_path(other.sessions, other.athlete_id, archive, Limits(), processes=2)
        assert (pooled.status, pooled.imported) == ("done", len(items))
        assert (alone.status, alone.imported) == ("done", len(items))
        assert pooled.problems == alone.problems
        [problem] = pooled.problems
        assert problem["file"] == broken and problem["kind"] == "CorruptFile"
        assert problem["reason"]
        assert stored(other) == stored(store) and len(stored(store)) == len(items)
    finally:
        engine.dispose()


def test_the_pool_holds_a_bounded_number_of_files_and_defaults_to_two_at_most() -> None:
    assert Parser(1).in_flight == 1
    assert 2 < Parser(2).in_flight <= 10
    assert processes_for(3) == 3
    assert 1 <= processes_for(0) <= 2


def test_the_time_left_is_the_pace_so_far_times_the_files_left() -> None:
    created = datetime(2026, 1, 1, 8, tzinfo=UTC)
    job = ImportJob(status="running", total=2000, done=500, created_at=created)
    job.heartbeat_at = created + timedelta(seconds=100)
    assert seconds_left(job) == 300.0  # 500 files in 100 s: 1,500 more take 300 s
    job.done = 0
    assert seconds_left(job) is None  # no pace yet
    job.status, job.done = "done", 2000
    assert seconds_left(job) is None
