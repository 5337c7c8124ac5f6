"""STRAVA_DATA_RETENTION_DAYS: API rows and streams go, the athlete's own files and the
daily loads fitcoach derived stay, and the fitness chart still covers the whole history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fitcoach.activities.loads import compute_loads
from fitcoach.activities.queries import daily_load_history
from fitcoach.activities.repository import by_strava_ids, upsert_api_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.coach import performance_series
from fitcoach.core.db import transaction
from fitcoach.core.settings import load_settings
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, ActivityStreams, DailyLoad
from fitcoach.sync.retention import apply_retention
from tests.imports.builders import ArchiveItem, archive_items, ride, write_archive
from tests.stores import Store

TODAY = date(2026, 6, 1)


def api_history(store: Store, days: int) -> None:
    """``days`` of daily rides fetched from the API, with streams kept for some."""
    rows = []
    for day in range(days):
        start = datetime(2026, 1, 1, 17, tzinfo=UTC) + timedelta(days=day)
        item = ArchiveItem(7_000_000 + day, ride(start, 60), "", "API Ride")
        document = item.strava_document(store.athlete_id)
        document.update(moving_time=3600, elapsed_time=3700, weighted_average_watts=200.0)
        rows.append(row_from_strava(document, store.athlete_id))
    with transaction(store.sessions) as session:
        upsert_api_activities(session, rows)
        held = by_strava_ids(session, [row["strava_id"] for row in rows[:10]])
        for activity in held.values():
            session.add(ActivityStreams(activity_id=activity.id, streams={"time": [0, 1]}))
    compute_loads(store.sessions, store.athlete_id, TODAY)


def chart(store: Store) -> list[float]:
    with store.sessions() as session:
        history = daily_load_history(session, store.athlete_id)
    start = history.first()
    assert start is not None
    return [float(v) for v in performance_series(history.totals(start, TODAY), start).ctl]


def test_retention_keeps_own_files_and_derived_loads(any_store: Store, tmp_path: Path) -> None:
    store = any_store
    api_history(store, 120)
    items = list(archive_items(30, datetime(2025, 6, 1, tzinfo=UTC)))
    import_path(
        store.sessions, store.athlete_id, write_archive(tmp_path / "e.zip", items), Limits()
    )
    before = chart(store)
    total_before = sum(load for _, load in _history(store))

    # Unset: nothing happens however old the data.
    far = datetime.now(UTC) + timedelta(days=400)
    assert apply_retention(store.sessions, far, None).activities_deleted == 0
    # Within the window: nothing happens either.
    assert apply_retention(store.sessions, datetime.now(UTC), 7).activities_deleted == 0

    later = datetime.now(UTC) + timedelta(days=8)  # the clock moved forward
    result = apply_retention(store.sessions, later, 7)
    assert (result.activities_deleted, result.streams_deleted) == (120, 10)
    assert store.count(Activity.source == "strava_api") == 0
    assert store.count(Activity.source == "archive") == 30  # the athlete's own files stay
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ActivityStreams)) == 30
        carried = session.scalars(select(DailyLoad)).all()
        assert len(carried) == 120 and {row.source for row in carried} == {"strava_api"}
    # The chart still draws the whole history, with the same numbers.
    assert chart(store) == pytest.approx(before)
    assert sum(load for _, load in _history(store)) == pytest.approx(total_before, abs=0.5)
    with store.sessions() as session:
        first_carried = session.scalar(select(func.min(DailyLoad.day)))
    assert first_carried == date(2026, 1, 1)
    # Running it again deletes nothing more and carries nothing twice.
    assert apply_retention(store.sessions, later, 7).activities_deleted == 0
    assert chart(store) == pytest.approx(before)


def _history(store: Store) -> list[tuple[date, float]]:
    with store.sessions() as session:
        return daily_load_history(session, store.athlete_id).dated()


def test_an_archive_replaces_the_carried_loads_it_covers(store: Store, tmp_path: Path) -> None:
    items = list(archive_items(10, datetime(2026, 1, 1, tzinfo=UTC)))
    rows = [
        row_from_strava(item.strava_document(store.athlete_id), store.athlete_id) for item in items
    ]
    with transaction(store.sessions) as session:
        upsert_api_activities(session, rows)
    compute_loads(store.sessions, store.athlete_id, TODAY)
    apply_retention(store.sessions, datetime.now(UTC) + timedelta(days=30), 7)
    assert store.count() == 0
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DailyLoad)) == 10
    # The athlete's archive brings the same activities back: counted once, not twice.
    import_path(
        store.sessions, store.athlete_id, write_archive(tmp_path / "e.zip", items), Limits()
    )
    assert store.count(Activity.source == "archive") == 10
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DailyLoad)) == 0
    assert len(_history(store)) == 10


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().strava_data_retention_days is None
    monkeypatch.setenv("STRAVA_DATA_RETENTION_DAYS", "7")
    assert load_settings().strava_data_retention_days == 7
    assert load_settings().coach_llm_allow_strava_data is False
