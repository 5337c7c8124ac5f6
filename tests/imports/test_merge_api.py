"""The same activities from the athlete's archive or files and from the simulator's API are
stored once: merged, whichever arrives first, with the file's values and Strava's id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, ActivityStreams, SyncState
from fitcoach.strava.access import access_token
from fitcoach.strava.client import StravaClient
from fitcoach.sync import activities as sync_activities
from fitcoach.sync.activities import backfill_page, incremental_sync
from fitcoach.sync.context import SyncContext
from tests.conftest import RunningServer, connect_simulator_athlete, strava_id_of
from tests.imports.builders import ArchiveItem, archive_items, fit_file, ride, write_archive
from tests.stores import Store


def sim(simulator: RunningServer, method: str, path: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{path}", json=body or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.fixture
def synced(
    sqlite_url: URL, simulator: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SyncContext, Store, datetime]]:
    """A connected simulator athlete whose API activities are stored through the merge."""
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    client = StravaClient(simulator.url, "1", "simulator-secret", timeout_s=5.0)
    context = SyncContext(
        session_factory(engine), key_ring([Fernet.generate_key().decode()]), client
    )
    athlete_id = connect_simulator_athlete(simulator, context)
    now = datetime.fromtimestamp(sim(simulator, "GET", "/usage")["now"], UTC)
    strava_id = strava_id_of(context.sessions, athlete_id)
    yield context, Store(context.sessions, athlete_id, strava_id), now
    client.close()
    engine.dispose()


def publish(simulator: RunningServer, athlete_id: int, items: list[ArchiveItem]) -> None:
    """The archive's activities, as they are on Strava."""
    with httpx.Client(base_url=f"{simulator.url}/_sim") as client:
        for item in items:
            body = {"raw": item.strava_document(athlete_id)}
            response = client.post(f"/athletes/{athlete_id}/activities", json=body)
            assert response.status_code == 201, response.text


def backfill_all(context: SyncContext, athlete_id: int) -> int:
    pages = 0
    while True:
        pages += 1
        if not backfill_page(context, athlete_id, priority=3).more:
            return pages


def test_archive_then_api_backfill_stores_each_activity_once(
    synced: tuple[SyncContext, Store, datetime], simulator: RunningServer, tmp_path: Path
) -> None:
    context, store, now = synced
    items = list(archive_items(500, now - timedelta(days=900)))
    publish(simulator, store.strava_id, items)
    on_strava = int(sim(simulator, "GET", f"/athletes/{store.strava_id}")["activities"])

    archive = write_archive(tmp_path / "export.zip", items)
    job = import_path(store.sessions, store.athlete_id, archive, Limits())
    assert (job.imported, job.failed) == (500, 0)
    again = import_path(store.sessions, store.athlete_id, archive, Limits())
    assert again.duplicates == 500 and store.count() == 500

    with store.sessions() as session:
        imported = session.get(Activity, store.by_strava_id(items[0].strava_id).id)
        assert imported is not None
        method, name = imported.load_method, imported.name

    # Every activity the athlete has on Strava arrives through the sync's storing path,
    # the archive's 500 included.
    token = access_token(context.sessions, context.key_ring, context.strava, store.athlete_id)
    page = 1
    while listed := context.strava.activities(
        token, priority=3, athlete_id=store.athlete_id, page=page, per_page=200
    ):
        sync_activities.store_fetched(context, store.athlete_id, listed)
        page += 1
    assert store.count() == on_strava  # nothing doubled
    assert store.count(Activity.source == "archive") == 500
    assert store.count(Activity.source == "strava_api") == on_strava - 500
    with store.sessions() as session:
        row = session.get(Activity, store.by_strava_id(items[0].strava_id).id)
        assert row is not None and (row.load_method, row.name) == (method, name)  # kept
        assert session.get(ActivityStreams, store.by_strava_id(items[0].strava_id).id) is not None
    # An incremental sync re-reading them changes nothing either.
    incremental_sync(context, store.athlete_id, priority=0)
    assert store.count() == on_strava


def test_api_first_then_archive_merges_and_the_file_wins(
    synced: tuple[SyncContext, Store, datetime], simulator: RunningServer, tmp_path: Path
) -> None:
    context, store, now = synced
    items = list(archive_items(30, now - timedelta(days=700)))
    publish(simulator, store.strava_id, items)
    backfill_all(context, store.athlete_id)
    before = store.count()
    with store.sessions() as session:
        api_row = session.get(Activity, store.by_strava_id(items[0].strava_id).id)
        assert api_row is not None and api_row.source == "strava_api"
        assert api_row.weighted_average_watts == 210.0  # what the API said

    job = import_path(
        store.sessions, store.athlete_id, write_archive(tmp_path / "e.zip", items), Limits()
    )
    assert (job.imported, job.merged) == (0, 30)
    assert store.count() == before
    with store.sessions() as session:
        merged = session.get(Activity, store.by_strava_id(items[0].strava_id).id)
        assert merged is not None and merged.source == "archive"
        assert merged.weighted_average_watts != 210.0  # normalized power from the file
        assert merged.load_method in ("power_stream", "heart_rate_stream")  # from streams
        assert merged.raw["fitcoach"]["file"] == items[0].filename


def test_a_device_file_and_its_strava_upload_become_one(
    synced: tuple[SyncContext, Store, datetime], simulator: RunningServer, tmp_path: Path
) -> None:
    context, store, now = synced
    backfill_all(context, store.athlete_id)
    baseline = store.count()

    # 1. The file first (no Strava id yet), then Strava's copy arrives by the API.
    # Recent enough for an incremental sync (it re-reads the hour before the newest start).
    first = ride(now - timedelta(minutes=40), 1800)
    path = tmp_path / "first.fit"
    path.write_bytes(fit_file(first))
    import_path(store.sessions, store.athlete_id, path, Limits())
    assert store.count(Activity.strava_id.is_(None)) == 1
    document = ArchiveItem(0, first, "first.fit", "Ride to work").strava_document(store.strava_id)
    del document["id"]
    document["start_date"] = (first.start + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    added = sim(simulator, "POST", f"/athletes/{store.strava_id}/activities", raw=document)
    incremental_sync(context, store.athlete_id, priority=0)
    assert store.count() == baseline + 1 and store.count(Activity.strava_id.is_(None)) == 0
    with store.sessions() as session:
        linked = session.get(Activity, store.by_strava_id(added["id"]).id)
        assert linked is not None and linked.source == "file"
        assert (
            session.get(ActivityStreams, store.by_strava_id(added["id"]).id) is not None
        )  # streams moved along

    # 2. Strava's copy first, then the device file.
    second = ride(now - timedelta(minutes=30), 1200)
    document = ArchiveItem(0, second, "x", "Evening Ride").strava_document(store.strava_id)
    del document["id"]
    added = sim(simulator, "POST", f"/athletes/{store.strava_id}/activities", raw=document)
    incremental_sync(context, store.athlete_id, priority=0)
    path = tmp_path / "second.fit"
    path.write_bytes(fit_file(second))
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert (job.imported, job.merged) == (0, 1)
    assert store.count() == baseline + 2
    with store.sessions() as session:
        merged = session.get(Activity, store.by_strava_id(added["id"]).id)
        assert merged is not None and merged.source == "file"
        assert merged.load_method and merged.load_method.endswith("_stream")
        starts = session.scalar(
            select(func.count()).where(
                Activity.start_date.between(
                    second.start - timedelta(minutes=5), second.start + timedelta(minutes=5)
                )
            )
        )
        assert starts == 1


def test_backfill_asks_only_for_what_the_archive_does_not_hold(
    synced: tuple[SyncContext, Store, datetime], simulator: RunningServer, tmp_path: Path
) -> None:
    context, store, now = synced
    generated = int(sim(simulator, "GET", f"/athletes/{store.strava_id}")["activities"])
    items = list(archive_items(200, now - timedelta(days=900)))  # all before the history
    publish(simulator, store.strava_id, items)
    archive = write_archive(tmp_path / "e.zip", items)
    import_path(store.sessions, store.athlete_id, archive, Limits())
    calls_before = int(sim(simulator, "GET", "/usage")["total"])
    assert backfill_page(context, store.athlete_id, priority=3).calls == 0
    result = incremental_sync(context, store.athlete_id, priority=3)
    # Only what came after the export, in one list call per 200; the one archive activity
    # within the sync's one-hour safety margin is read again and merged, not doubled.
    assert result.fetched == generated + 1
    assert result.calls == (generated + 1) // 200 + 1
    assert int(sim(simulator, "GET", "/usage")["total"]) - calls_before == result.calls
    assert store.count() == 200 + generated
    with store.sessions() as session:
        state = session.get(SyncState, store.athlete_id)
        assert state is not None and state.backfill_done
