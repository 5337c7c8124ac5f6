"""Importing the athlete's own files: a job per upload or CLI run, with progress.

Files are read and parsed outside any transaction (parsed on every core by a process
pool for a job of many files, ``imports/pool.py``), then stored in one short transaction
per batch (a savepoint per activity), so a long import never holds the database's write
lock for long and one bad activity never undoes the others. Each batch moves the job's
counters and heartbeat; the page polls them.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Future
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from prometheus_client import Counter
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities import repository as activities
from fitcoach.activities.file_thresholds import estimate_from_files
from fitcoach.activities.loads import compute_stream_loads, recompute_requested
from fitcoach.activities.merge import Outcome, store_own
from fitcoach.core.clock import utc_now
from fitcoach.core.db import transaction
from fitcoach.imports import repository
from fitcoach.imports.errors import (
    CorruptFile,
    DatabaseUnavailable,
    FilesError,
    ImportCancelled,
    ImportFault,
    ImportStopped,
    TooLarge,
    UnsupportedFile,
    problem_record,
)
from fitcoach.imports.parsing.archive import Archive, CsvActivity, is_zip, open_archive
from fitcoach.imports.parsing.formats import activity_suffix, gunzip
from fitcoach.imports.parsing.limits import MIB, Limits
from fitcoach.imports.parsing.summary import FileActivity
from fitcoach.imports.pool import Parser
from fitcoach.imports.repository import (
    MAX_PROBLEMS_KEPT,
    create_job,
    fail_job,
    retry_or_fail,
)
from fitcoach.imports.rows import own_row
from fitcoach.models import ImportJob, Source
from fitcoach.sync.activities import respect_archive

log = logging.getLogger("fitcoach.imports")

BATCH = 25
# Fewer files than this are parsed in the job's own process: starting a pool costs more.
POOL_FROM_FILES = 8
IMPORTED_FILES = Counter(
    "fitcoach_imported_files", "Activity files imported, by outcome", ["outcome"]
)


@dataclass
class Item:
    """One activity to import: a file (read lazily), a CSV row, or both."""

    name: str
    read: Callable[[], bytes] | None = None
    row: CsvActivity | None = None
    problem: FilesError | None = None


@dataclass
class Parsed:
    """An item read: its file's activities (one, or one per leg of a multisport file;
    none when only a CSV row is left), the content's hash, or a known duplicate."""

    item: Item
    activities: list[FileActivity]
    sha256: str | None
    duplicate_of: int | None = None
    # The activities while they are being parsed (``settle`` waits for them).
    parsing: Future[list[FileActivity]] | None = None


def _leg_of_row(activities: list[FileActivity], row: CsvActivity | None) -> int | None:
    """Which of a file's activities an archive's CSV row describes: the one starting
    closest to the row's start (the first when the row has none)."""
    if row is None or not activities:
        return None
    if row.start is None:
        return 0
    start = row.start
    return min(range(len(activities)), key=lambda i: abs(activities[i].start - start))


def _items_of_archive(archive: Archive, limits: Limits) -> Iterator[Item]:
    for problem in archive.problems:
        yield Item(problem.file, problem=problem)
    for entry in archive.entries:
        readable = entry.member is not None and entry.problem is None
        reader = partial(archive.read, entry, limits) if readable else None
        yield Item(entry.name, reader, entry.row, entry.problem)


def _file_reader(path: Path, limits: Limits, name: str | None = None) -> Callable[[], bytes]:
    def read() -> bytes:
        if path.stat().st_size > limits.max_upload_bytes:
            raise TooLarge(name or path.name, f"larger than {limits.max_upload_bytes // MIB} MB")
        return path.read_bytes()

    return read


def unreadable(name: str, error: Exception) -> CorruptFile:
    """Any fault reading one file, as that file's problem: a file is untrusted input, and
    no value in it may stop the import of the others."""
    log.warning(
        "file refused by a fault",
        extra={"file": name, "fault": type(error).__name__},
        exc_info=error,
    )
    return CorruptFile(
        name,
        "fitcoach could not read this file (a value in it is out of any range a device "
        "records, or its layout is one fitcoach does not know); the other files are imported",
        detail=f"{type(error).__name__}: {error}"[:500],
    )


def is_outage(error: Exception) -> bool:
    """A database that is unavailable or failing is nobody's file's fault: the job is
    tried again rather than the file reported."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def _items_of_folder(folder: Path, limits: Limits) -> Iterator[Item]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and activity_suffix(path.name):
            yield Item(str(path.relative_to(folder)), _file_reader(path, limits))


# Activities a finished import links to; an archive's thousands are in the activity list.
MAX_LINKED_ACTIVITIES = 200


class ImportRun:
    """One job's import: reads the items, stores them, keeps the job row up to date."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        job_id: int,
        limits: Limits,
        clock: Callable[[], datetime],
        on_progress: Callable[[ImportJob], None] | None,
    ) -> None:
        self.sessions, self.job_id, self.limits, self.clock = sessions, job_id, limits, clock
        self.on_progress = on_progress
        with sessions() as session:
            job = repository.get_job(session, job_id)
            assert job is not None
            self.athlete_id = job.athlete_id
            # The athlete's own name for an uploaded file (the upload is kept under another).
            self.filename = job.filename
        self.counts = {"imported": 0, "merged": 0, "duplicates": 0, "failed": 0, "done": 0}
        self.problems: list[dict[str, str]] = []
        self.touched: list[int] = []
        self.new_file_days: list[tuple[int, datetime]] = []
        self.ledgered: set[str] = set()
        self.pending: set[str] = set()  # parsed in this run, not stored yet
        # Content refused in this run, by hash: a second copy of it is refused by name too
        # (not counted as a duplicate of something never stored).
        self.refused: dict[str, FilesError] = {}
        self.parser = Parser()  # in this process unless run_job hands it a pool

    def problem(self, name: str, error: Exception, *, counted: bool = True) -> None:
        if counted:
            self.counts["failed"] += 1
        IMPORTED_FILES.labels("failed").inc()
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem_record(name, error))

    def parse(self, item: Item) -> Parsed | None:
        """Read, dedupe by content and parse one item; None when it is to be skipped."""
        if item.read is None:
            if item.problem is not None:
                self.problem(item.name, item.problem, counted=item.row is None)
            return Parsed(item, [], None) if item.row is not None else None
        try:
            data = item.read()
            if item.name.lower().endswith(".gz"):
                data = gunzip(data, item.name, self.limits)
            sha = hashlib.sha256(data).hexdigest()
            # The content's hash is checked before parsing: a re-import costs a read.
            with self.sessions() as session:
                known = repository.imported_file(session, self.athlete_id, sha)
                # A device file imported before, now in an archive: it is read again so
                # that its activity learns the Strava id the archive names.
                learns = (
                    known is not None
                    and item.row is not None
                    and not activities.has_strava_id(session, known.activity_id)
                )
            if known is not None and not learns:
                return Parsed(item, [], sha, duplicate_of=known.activity_id)
            if sha in self.pending:
                return Parsed(item, [], sha, duplicate_of=0)
            self.pending.add(sha)
            parsing = self.parser.submit(item.name, data, sha, self.limits)
            return Parsed(item, [], sha, parsing=parsing)
        except FilesError as error:
            return self.failed(item, error)
        except Exception as error:
            if is_outage(error):
                raise
            return self.failed(item, unreadable(item.name, error))

    def settle(self, parsed: Parsed) -> Parsed | None:
        """The item with its activities once parsed; None when the file is skipped."""
        if parsed.parsing is None:
            # Its first copy in this archive settled before it (items settle in order).
            refused = self.refused.get(parsed.sha256 or "")
            if parsed.duplicate_of == 0 and refused is not None:
                return self.failed(parsed.item, refused)
            return parsed
        try:
            parsed.activities = parsed.parsing.result()
        except FilesError as error:
            self.refused[parsed.sha256 or ""] = error
            return self.failed(parsed.item, error)
        except BrokenExecutor:
            raise  # a parsing process died: the job's fault, tried again
        except Exception as error:
            self.refused[parsed.sha256 or ""] = unreadable(parsed.item.name, error)
            return self.failed(parsed.item, self.refused[parsed.sha256 or ""])
        finally:
            parsed.parsing = None
        return parsed

    def failed(self, item: Item, error: FilesError) -> Parsed | None:
        """Report the file; an archive's CSV row is still imported, as a summary."""
        self.problem(item.name, error, counted=item.row is None)
        return Parsed(item, [], None) if item.row is not None else None

    def store(self, batch: list[Parsed]) -> None:
        source = Source.ARCHIVE if any(p.item.row for p in batch) else Source.FILE
        with transaction(self.sessions) as session:
            for parsed in batch:
                if parsed.duplicate_of is not None:
                    self.counts["duplicates"] += 1
                    IMPORTED_FILES.labels(Outcome.DUPLICATE.value).inc()
                    continue
                try:
                    # A multisport file's legs are stored together or not at all.
                    with session.begin_nested():
                        stored = self._store_one(session, parsed, source)
                except (PermissionError, ValueError) as error:
                    self.problem(parsed.item.name, error)
                    continue
                except Exception as error:
                    # A value the database refuses (an integer beyond its column, text
                    # it cannot hold) costs this file only: its savepoint is undone.
                    if is_outage(error):
                        raise
                    self.problem(parsed.item.name, unreadable(parsed.item.name, error))
                    continue
                for outcome, activity_id, activity in stored:
                    key = {Outcome.IMPORTED: "imported", Outcome.MERGED: "merged"}.get(
                        outcome, "duplicates"
                    )
                    self.counts[key] += 1
                    IMPORTED_FILES.labels(outcome.value).inc()
                    if outcome is not Outcome.DUPLICATE:
                        self.touched.append(activity_id)
                    if outcome is Outcome.IMPORTED and source == Source.FILE and activity:
                        self.new_file_days.append((activity_id, activity.start_local))
            self._beat(session, status="running")

    def _store_one(
        self, session: Session, parsed: Parsed, source: str
    ) -> list[tuple[Outcome, int, FileActivity | None]]:
        """Store the item's activities (or its CSV row alone); what became of each."""
        row = parsed.item.row
        if not parsed.activities:
            values = own_row(self.athlete_id, source, None, row)
            outcome, activity_id = store_own(
                session, values, {}, claimed_strava_id=row.strava_id if row else None
            )
            return [(outcome, activity_id, None)]
        described = _leg_of_row(parsed.activities, row)
        stored: list[tuple[Outcome, int, FileActivity | None]] = []
        for index, activity in enumerate(parsed.activities):
            leg_row = row if index == described else None
            values = own_row(self.athlete_id, source, activity, leg_row)
            outcome, activity_id = store_own(
                session,
                values,
                activity.streams,
                claimed_strava_id=leg_row.strava_id if leg_row else None,
            )
            stored.append((outcome, activity_id, activity))
        if parsed.sha256 and parsed.sha256 not in self.ledgered:
            # Two copies of one file in one upload are one activity: the second is a
            # duplicate by content, and the ledger takes the first. A multisport file is
            # one entry too, naming its first leg (the others share its group).
            self.ledgered.add(parsed.sha256)
            repository.record_imported_file(
                session, self.athlete_id, parsed.sha256, stored[0][1], parsed.item.name, source
            )
        return stored

    def _beat(self, session: Session, **extra: object) -> None:
        # Read under the row's lock, so that a cancel is never overwritten by progress.
        job = repository.get_job(session, self.job_id, lock=True)
        if job is None or job.status == "cancelled":
            raise ImportCancelled(f"import {self.job_id} was cancelled")
        for key, value in self.counts.items():
            setattr(job, key, value)
        job.problems = list(self.problems)
        job.activity_ids = list(dict.fromkeys(self.touched))[:MAX_LINKED_ACTIVITIES]
        job.heartbeat_at = self.clock()
        for name, setting in extra.items():
            setattr(job, name, setting)
        if self.on_progress is not None:
            self.on_progress(job)

    def run(self, items: Iterator[Item], total: int, covers_up_to: datetime | None) -> None:
        with transaction(self.sessions) as session:
            self._beat(session, status="running", total=total)
        batch: list[Parsed] = []
        # Items being parsed, in their order; at most the parser's in_flight of them.
        waiting: deque[Parsed] = deque()

        def take(parsed: Parsed) -> None:
            nonlocal batch
            settled = self.settle(parsed)
            if settled is not None:
                batch.append(settled)
            if len(batch) >= BATCH:
                self.store(batch)
                batch = []

        for item in items:
            parsed = self.parse(item)
            self.counts["done"] += 1
            if parsed is not None:
                waiting.append(parsed)
            while waiting and (
                len(waiting) >= self.parser.in_flight
                or waiting[0].parsing is None
                or waiting[0].parsing.done()
            ):
                take(waiting.popleft())
        while waiting:
            take(waiting.popleft())
        self.store(batch)
        # Power or pace in the files and no threshold to score them with: estimate one first,
        # so these rides are scored from power rather than heart rate.
        estimated = estimate_from_files(self.sessions, self.athlete_id, self.clock())
        compute_stream_loads(self.sessions, self.athlete_id, self.touched, self.clock().date())
        if estimated:
            # Activities stored before (other files, Strava's) from the estimate's day on.
            recompute_requested(self.sessions, self.athlete_id, self.clock)
        with transaction(self.sessions) as session:
            if covers_up_to is not None:
                activities.drop_carried_until(session, self.athlete_id, covers_up_to.date())
                respect_archive(session, self.athlete_id, covers_up_to)
            for activity_id, local_start in self.new_file_days:
                load = activities.load_of(session, activity_id)
                activities.absorb_carried_load(
                    session, self.athlete_id, local_start.date(), load or 0.0
                )
            self._beat(
                session,
                status="done",
                covers_up_to=covers_up_to,
                finished_at=self.clock(),
                stored_path=None,
            )


def import_job(
    sessions: sessionmaker[Session],
    job_id: int,
    path: Path,
    limits: Limits,
    *,
    clock: Callable[[], datetime] = utc_now,
    on_progress: Callable[[ImportJob], None] | None = None,
    processes: int = 1,
) -> ImportJob:
    """Import ``path`` (a file, a zip or a folder) for the job's athlete; the job row at
    the end. A refused archive fails the job with its reason; nothing is half-written.
    A folder or zip of many files is parsed by ``processes`` processes. Any other fault
    leaves the job to the caller: raised as DatabaseUnavailable when the database was
    unavailable or failing, else as ImportFault."""
    archive: Archive | None = None

    def pool_for(total: int) -> Parser:
        return Parser(processes if total >= POOL_FROM_FILES else 1)

    try:
        run = ImportRun(sessions, job_id, limits, clock, on_progress)
        # The athlete's own name for the upload (it is kept under another).
        label = run.filename or path.name
        if path.is_dir():
            items = list(_items_of_folder(path, limits))
            with pool_for(len(items)) as run.parser:
                run.run(iter(items), len(items), None)
        elif is_zip(_head(path)):
            archive = open_archive(path, limits, label)
            total = len(archive.entries) + len(archive.problems)
            with pool_for(total) as run.parser:
                run.run(_items_of_archive(archive, limits), total, archive.covers_up_to())
        elif activity_suffix(path.name):
            run.run(iter([Item(label, _file_reader(path, limits, label))]), 1, None)
        else:
            raise UnsupportedFile(
                label, "not a FIT, GPX or TCX file (gzipped or not), nor a zip archive"
            )
    except ImportCancelled:
        log.info("import cancelled", extra={"job_id": job_id})
    except FilesError as error:
        fail_job(sessions, job_id, error, clock)
    except Exception as error:
        log.exception("import stopped by a fault", extra={"job_id": job_id})
        fault = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        if is_outage(error):
            raise DatabaseUnavailable(job_id, fault) from error
        raise ImportFault(job_id, fault) from error
    finally:
        if archive is not None:
            archive.close()
    with sessions() as session:
        job = repository.get_job(session, job_id)
        assert job is not None
        return job


def run_job(
    sessions: sessionmaker[Session],
    job_id: int,
    path: Path,
    limits: Limits,
    *,
    clock: Callable[[], datetime] = utc_now,
    on_progress: Callable[[ImportJob], None] | None = None,
    processes: int = 1,
) -> ImportJob:
    """``import_job``, where a fault ends the job too: tried again while it has attempts
    left (it waits, queued, for the sweep), else failed with the fault as its reason."""
    try:
        return import_job(
            sessions,
            job_id,
            path,
            limits,
            clock=clock,
            on_progress=on_progress,
            processes=processes,
        )
    except ImportStopped as stopped:
        retry_or_fail(sessions, job_id, stopped.fault, clock())
    with sessions() as session:
        job = repository.get_job(session, job_id)
        assert job is not None
        return job


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(8)


def import_path(
    sessions: sessionmaker[Session],
    athlete_id: int,
    path: Path,
    limits: Limits,
    *,
    clock: Callable[[], datetime] = utc_now,
    on_progress: Callable[[ImportJob], None] | None = None,
    processes: int = 1,
) -> ImportJob:
    """Import a file, zip or folder for an athlete now (the CLI's path)."""
    job_id = create_job(sessions, athlete_id, path.name)
    return run_job(
        sessions, job_id, path, limits, clock=clock, on_progress=on_progress, processes=processes
    )
