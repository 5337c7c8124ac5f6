"""The inbox gives up on a file that keeps failing, and never on one an outage stopped.

A file whose import stops at a fault that no refusal explains (a parsing process that
died, a fault of fitcoach's own) or whose worker dies while importing it stays for the
next scan; after ``MAX_FILE_ATTEMPTS`` such attempts it goes to failed/ with what to do,
instead of a new failed import every minute for ever. A database outage leaves the file in
place however long it lasts, and counts nothing against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url, select
from sqlalchemy.exc import OperationalError

from fitcoach.core.db import make_engine, session_factory
from fitcoach.imports import inbox, pool, service
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.parsing.summary import FileActivity
from fitcoach.models import ImportJob
from tests.imports.builders import fit_file, ride, run
from tests.stores import Store

NOW = datetime(2026, 1, 5, 7, tzinfo=UTC)
SCAN_EVERY = timedelta(minutes=1)


class WorkerKilled(BaseException):
    """The worker's process dying mid-import: nothing after it runs (as with SIGKILL)."""


def dropped(path: Path, data: bytes, at: datetime) -> Path:
    path.write_bytes(data)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def failing_parser_for(
    monkeypatch: pytest.MonkeyPatch, name: str, failures: list[BaseException]
) -> None:
    """The parser fails on ``name`` with each of ``failures`` in turn, then with the last."""
    real = pool.parse_activity

    def parse(file: str, content: bytes, sha256: str, limits: Limits) -> list[FileActivity]:
        if file == name:
            raise failures.pop(0) if len(failures) > 1 else failures[0]
        return real(file, content, sha256, limits)

    monkeypatch.setattr(pool, "parse_activity", parse)


def jobs_of(store: Store, name: str) -> list[ImportJob]:
    with store.sessions() as session:
        jobs = list(
            session.scalars(
                select(ImportJob).where(ImportJob.filename == name).order_by(ImportJob.id)
            )
        )
        session.expunge_all()
        return jobs


def test_a_file_that_keeps_failing_is_given_up_after_its_attempts(
    any_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = any_store
    root = tmp_path / "inbox"
    folder = inbox.athlete_inbox(root, store.athlete_id)
    dropped(folder / "ride.fit", fit_file(ride(NOW - timedelta(days=2), 600)), NOW - 2 * SCAN_EVERY)
    bad = dropped(folder / "bad.fit", fit_file(run(NOW - timedelta(days=1), 600)), NOW - SCAN_EVERY)
    # The first attempt's worker dies; the next two stop as a parsing process that died.
    failing_parser_for(
        monkeypatch, "bad.fit", [WorkerKilled(), BrokenProcessPool("a parsing process died")]
    )
    clocks = [NOW + i * SCAN_EVERY for i in range(inbox.MAX_FILE_ATTEMPTS + 2)]

    def scan(at: datetime) -> list[inbox.InboxResult]:
        return inbox.scan(store.sessions, root, Limits(), lambda: at)

    with pytest.raises(WorkerKilled):
        scan(clocks[0])
    assert (folder / "done/ride.fit").exists()  # taken first (older), as ever
    assert [job.status for job in jobs_of(store, "bad.fit")] == ["running"]
    for at in clocks[1 : inbox.MAX_FILE_ATTEMPTS]:
        assert scan(at) == []
        assert bad.exists()
    assert len(jobs_of(store, "bad.fit")) == inbox.MAX_FILE_ATTEMPTS

    given_up = scan(clocks[inbox.MAX_FILE_ATTEMPTS])
    assert [(r.name, r.outcome) for r in given_up] == [("bad.fit", inbox.FAILED)]
    assert not bad.exists() and (folder / "failed/bad.fit").exists()
    reason = (folder / "failed/bad.fit.reason.txt").read_text()
    first, advice = reason.splitlines()[:2]
    assert first == (
        "bad.fit: fitcoach could not import this file after 3 tries; the last error: the "
        "import stopped at a fault: BrokenProcessPool: a parsing process died"
    )
    assert "send it to whoever runs this fitcoach" in advice and "export the activity" in advice
    assert scan(clocks[-1]) == []

    # Exactly one job per attempt, and none left running on the import page.
    jobs = jobs_of(store, "bad.fit")
    assert len(jobs) == inbox.MAX_FILE_ATTEMPTS
    assert [job.status for job in jobs] == ["failed"] * inbox.MAX_FILE_ATTEMPTS
    assert jobs[0].error is not None and jobs[0].error.startswith(
        "the import stopped before it finished (its worker was stopped"
    )
    assert jobs[0].finished_at == clocks[1]  # ended by the next attempt, under the lock
    assert [job.error for job in jobs[1:]] == [
        "the import stopped at a fault: BrokenProcessPool: a parsing process died"
    ] * (inbox.MAX_FILE_ATTEMPTS - 1)
    assert all(job.inbox_sha256 is None for job in jobs)  # the file has left the inbox

    # Put back by hand (after a fix, say), the same file starts afresh.
    monkeypatch.undo()
    os.rename(folder / "failed/bad.fit", bad)
    taken = scan(clocks[-1] + SCAN_EVERY)
    assert [(r.name, r.outcome, r.imported) for r in taken] == [("bad.fit", inbox.DONE, 1)]


def test_a_database_outage_leaves_the_file_in_place_and_counts_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "inbox"
    folder = inbox.athlete_inbox(root, store.athlete_id)
    path = dropped(folder / "tempo.fit", fit_file(ride(NOW - timedelta(days=1), 900)), NOW)
    real = service.compute_stream_loads

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE activities", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "compute_stream_loads", locked)
    scans = [NOW + (i + 1) * SCAN_EVERY for i in range(inbox.MAX_FILE_ATTEMPTS + 2)]
    for at in scans:
        assert inbox.scan(store.sessions, root, Limits(), lambda at=at: at) == []
        assert path.exists()
        assert not any((folder / inbox.FAILED).iterdir())
    jobs = jobs_of(store, "tempo.fit")
    assert [job.status for job in jobs] == ["failed"] * len(scans)
    assert jobs[0].error == (
        "the import stopped at an outage (OperationalError: (builtins.Exception) database is "
        "locked); tempo.fit stays in the inbox and is tried again at the next scan"
    )

    # The database back: the next scan imports it, however many scans the outage lasted.
    monkeypatch.setattr(service, "compute_stream_loads", real)
    at = scans[-1] + SCAN_EVERY
    taken = inbox.scan(store.sessions, root, Limits(), lambda: at)
    assert [(r.name, r.outcome) for r in taken] == [("tempo.fit", inbox.DONE)]


def test_a_database_that_cannot_be_reached_leaves_the_file_untouched(
    store: Store, tmp_path: Path
) -> None:
    root = tmp_path / "inbox"
    folder = inbox.athlete_inbox(root, store.athlete_id)
    path = dropped(folder / "tempo.fit", fit_file(ride(NOW - timedelta(days=1), 900)), NOW)
    # A database file in a folder that does not exist: every connection is refused.
    engine = make_engine(make_url(f"sqlite:///{tmp_path / 'gone' / 'fitcoach.db'}"))
    unreachable = session_factory(engine)
    later: Callable[[], datetime] = lambda: NOW + SCAN_EVERY  # noqa: E731
    with pytest.raises(OperationalError):
        inbox.take_file(unreachable, store.athlete_id, path, Limits(), later)
    engine.dispose()
    assert path.exists() and not any((folder / inbox.FAILED).iterdir())
    assert jobs_of(store, "tempo.fit") == []
