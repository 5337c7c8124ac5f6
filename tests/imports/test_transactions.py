"""Transactions on SQLite mean what they say: a batch that fails halfway leaves nothing,
and an upload stores its files while a backfill writes (both complete, nothing locked)."""

from __future__ import annotations

import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from fitcoach import migrations
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import is_locked, make_engine, retry_locked, session_factory, transaction
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, ImportedFile, ImportJob, SyncState
from fitcoach.strava.client import StravaClient
from fitcoach.strava.models import TokenResponse
from fitcoach.sync.activities import backfill_page
from fitcoach.sync.connection import connect_athlete
from fitcoach.sync.context import SyncContext
from tests.conftest import RunningServer
from tests.imports.builders import archive_items, write_archive
from tests.stores import Store

START = datetime(2022, 1, 1, tzinfo=UTC)
REAL = Path(__file__).parent.parent / "files" / "real"


class Refused(Exception):
    """Raised by the test where the batch is to fail."""


def test_a_released_savepoint_is_undone_with_its_transaction(store: Store) -> None:
    with pytest.raises(Refused), transaction(store.sessions) as session:
        with session.begin_nested():
            session.add(ImportJob(athlete_id=store.athlete_id, filename="kept?.fit"))
        raise Refused
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_batch_failing_halfway_leaves_nothing_committed(store: Store, tmp_path: Path) -> None:
    items = list(archive_items(40, START))
    archive = write_archive(tmp_path / "export.zip", items)

    def fail_at_the_first_batch(job: ImportJob) -> None:
        if job.done >= 25:  # the first batch's activities are stored, in savepoints
            raise Refused

    job = import_path(
        store.sessions, store.athlete_id, archive, Limits(), on_progress=fail_at_the_first_batch
    )
    assert job.status == "failed" and job.imported == 0
    assert job.error is not None and "Refused" in job.error
    assert store.count() == 0
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportedFile)) == 0


def test_a_writer_that_read_first_is_not_refused_when_another_commits(store: Store) -> None:
    """The import's way of storing (a savepoint, reads, then writes) while another writer
    (a backfill page) commits: the other waits for the lock instead of invalidating the
    first one's snapshot, and both complete."""
    other: list[BaseException] = []

    def backfill_page_commits() -> None:
        try:
            with transaction(store.sessions) as session:
                session.add(ImportJob(athlete_id=store.athlete_id, filename="page.fit"))
        except BaseException as error:  # reported by the test
            other.append(error)

    with transaction(store.sessions) as session, session.begin_nested():
        session.scalar(select(func.count()).select_from(ImportJob))  # a snapshot is read
        writer = threading.Thread(target=backfill_page_commits)
        writer.start()
        writer.join(timeout=0.5)  # it waits for this transaction's lock
        session.add(ImportJob(athlete_id=store.athlete_id, filename="upload.fit"))
        session.flush()
    writer.join(timeout=30)
    assert other == []
    with store.sessions() as session:
        names = set(session.scalars(select(ImportJob.filename)))
    assert names == {"page.fit", "upload.fit"}


def test_locked_is_known_by_its_code_and_waited_for() -> None:
    waits: list[float] = []
    calls = [0]

    def locked_twice() -> str:
        calls[0] += 1
        if calls[0] < 3:
            import sqlite3

            error = sqlite3.OperationalError("any words")
            error.sqlite_errorcode = 5  # SQLITE_BUSY
            raise OperationalError("BEGIN IMMEDIATE", {}, error)
        return "stored"

    assert retry_locked(locked_twice, sleep=waits.append, backoff_s=0.5) == "stored"
    assert waits == [0.5, 1.0]
    other = OperationalError("SELECT", {}, RuntimeError("database is locked"))
    assert not is_locked(other)  # the words alone are not the code


def sim(simulator: RunningServer, method: str, route: str, **body: Any) -> Any:
    response = httpx.request(method, f"{simulator.url}/_sim{route}", json=body or None, timeout=30)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def real_archive(path: Path) -> tuple[Path, int]:
    """A plain zip of the small real recordings (each under 60 KB)."""
    files = sorted(
        p
        for p in REAL.rglob("*")
        if p.is_file() and p.suffix in (".fit", ".gpx", ".tcx", ".gz") and p.stat().st_size < 60_000
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for file in files:
            zipped.write(file, f"{file.parent.name}/{file.name}")
    return path, len(files)


def test_an_upload_while_a_backfill_writes_both_complete(
    sqlite_url: URL, simulator: RunningServer, tmp_path: Path
) -> None:
    athlete = sim(simulator, "POST", "/athletes", kind="triathlete", history_days=400, seed=5)
    strava_id, truth = int(athlete["id"]), int(athlete["activities"])
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    client = StravaClient(simulator.url, "1", "simulator-secret", timeout_s=10.0)
    context = SyncContext(sessions, key_ring([Fernet.generate_key().decode()]), client)
    scopes = "read,activity:read_all"
    minted = sim(simulator, "POST", f"/athletes/{strava_id}/token", scope=scopes)
    minted.setdefault("athlete", {"id": strava_id})
    athlete_id = connect_athlete(sessions, context.key_ring, TokenResponse(**minted), scopes)
    archive, files = real_archive(tmp_path / "recordings.zip")
    errors: list[BaseException] = []

    def backfill() -> None:
        try:
            while backfill_page(context, athlete_id, priority=3).more:
                pass
        except BaseException as error:  # reported by the test below
            errors.append(error)

    worker = threading.Thread(target=backfill)
    worker.start()
    job = import_path(sessions, athlete_id, archive, Limits())
    worker.join(timeout=300)
    try:
        assert errors == []
        assert job.status == "done", job.error
        assert job.done == files and job.imported + job.merged + job.failed >= files - 2
        assert not [p for p in job.problems if "locked" in str(p)]
        with sessions() as session:
            state = session.get(SyncState, athlete_id)
            assert state is not None and state.backfill_done
            api = session.scalar(
                select(func.count()).select_from(Activity).where(Activity.source == "strava_api")
            )
        assert (api or 0) + job.merged >= truth
    finally:
        client.close()
        engine.dispose()
