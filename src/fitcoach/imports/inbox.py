"""The inbox: one folder per athlete whose activity files the worker imports by itself.

A folder synced by Syncthing or Dropbox, or a watch's USB mount copied into it, works the
same: a file is taken once it has stopped changing (no write for ``SETTLE``: a file
still being written waits), under an exclusive lock (``fcntl.flock``) so that two
workers or two scans never take one file, and imported by the same job as an upload (it
shows on the import page). It is then moved to ``done/``, or to ``failed/`` beside
``<name>.reason.txt``. What was imported is known by its content (the import ledger), so a
file seen again after a restart (moved back, synced again, or a crash before the move)
stores nothing twice.

A file whose import stops at a fault (a parsing process that died, a fault of fitcoach's
own), or whose worker stops while importing it, stays for the next scan; after
``MAX_FILE_ATTEMPTS`` such attempts at the same file (its name and content, counted on the
import jobs, so a restart forgets nothing) it goes to ``failed/`` with what to do. An
outage (the database, the disk) is nobody's file's fault: the file stays, whatever the
number of scans, and the attempt counts for nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes.repository import get_athlete
from fitcoach.core.clock import utc_now
from fitcoach.imports import repository
from fitcoach.imports.errors import DatabaseUnavailable, ImportFault
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.repository import MAX_ATTEMPTS, claim_job, create_job, retry_or_fail
from fitcoach.imports.service import import_job, is_outage
from fitcoach.models import ImportJob

log = logging.getLogger("fitcoach.imports.inbox")

# A file written within this long may still be growing: it waits for a later scan.
SETTLE = timedelta(seconds=10)
DONE = "done"
FAILED = "failed"
REASON_SUFFIX = ".reason.txt"
# Names sync tools and systems leave while writing or for their own use; never imported.
TEMPORARY_ENDINGS = (".tmp", ".part", ".partial", ".crdownload", ".download", "~")
SYSTEM_NAMES = frozenset({"desktop.ini", "thumbs.db"})
# Attempts at one file that stopped at a fault (or with their worker) before it is given
# up: a fault that repeats on the same file is the file's, not luck.
MAX_FILE_ATTEMPTS = MAX_ATTEMPTS


@dataclass(frozen=True)
class InboxResult:
    """A file the inbox took: where it went and why."""

    name: str
    outcome: str  # DONE or FAILED
    moved_at: datetime
    reason: str | None = None
    job_id: int | None = None
    athlete_id: int | None = None
    # Activities it added (not merged into ones already stored, nor duplicates).
    imported: int = 0


def athlete_inbox(root: Path, athlete_id: int) -> Path:
    """The athlete's inbox folder (with its done/ and failed/), created when missing."""
    folder = root / str(athlete_id)
    for path in (folder / DONE, folder / FAILED):
        path.mkdir(parents=True, exist_ok=True)
    return folder


def _is_candidate(path: Path) -> bool:
    name = path.name
    lower = name.lower()
    if name.startswith(".") or lower in SYSTEM_NAMES or lower.endswith(TEMPORARY_ENDINGS):
        return False
    return path.is_file() and not path.is_symlink()


def waiting_files(folder: Path) -> list[Path]:
    """Files directly in the athlete's folder (not in done/ or failed/), oldest first."""
    found: list[tuple[float, str, Path]] = []
    try:
        for path in folder.iterdir():
            if _is_candidate(path):
                found.append((path.stat().st_mtime, path.name, path))
    except FileNotFoundError:
        pass  # the folder, or a file just taken by another worker, is gone: next scan
    return [path for _, _, path in sorted(found)]


def is_settled(stat: os.stat_result, now: datetime) -> bool:
    """Whether nothing has written the file for SETTLE. A write sets the modification
    time to the present, so a time further in the past (or, from a device clock that
    runs ahead, in the future) means no one is writing it now."""
    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    return not (now - SETTLE < modified < now + SETTLE)


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or ``name (2)``… when a file of that name is already there
    (the same file name synced again must not overwrite the first one's record)."""
    target = folder / name
    stem, dot, suffix = name.partition(".")
    counter = 2
    while target.exists() or (folder / f"{target.name}{REASON_SUFFIX}").exists():
        target = folder / f"{stem} ({counter}){dot}{suffix}"
        counter += 1
    return target


def _reasons(job: ImportJob) -> list[str]:
    lines = [str(problem.get("problem") or problem.get("reason")) for problem in job.problems]
    if job.error and job.error not in lines:
        lines.insert(0, job.error)
    return lines


def _outcome(job: ImportJob) -> str:
    stored = job.imported + job.merged + job.duplicates
    return DONE if job.status == "done" and (stored > 0 or job.failed == 0) else FAILED


def _move(path: Path, folder: Path, job: ImportJob, now: datetime) -> InboxResult:
    outcome = _outcome(job)
    target = _free_name(folder / outcome, path.name)
    os.rename(path, target)
    reasons = _reasons(job)
    if reasons:
        # Beside the file, in words: why it failed, or which members of a zip were skipped.
        text = "\n".join(reasons) + f"\n(import {job.id}, {now:%Y-%m-%d %H:%M} UTC)\n"
        target.with_name(target.name + REASON_SUFFIX).write_text(text, encoding="utf-8")
    return InboxResult(
        target.name,
        outcome,
        now,
        reasons[0] if reasons else None,
        job_id=int(job.id),
        athlete_id=int(job.athlete_id),
        imported=job.imported,
    )


def _give_up(path: Path, attempts: list[ImportJob], now: datetime) -> InboxResult:
    """Move a file whose every attempt stopped at a fault to failed/, saying so."""
    last = attempts[-1]
    target = _free_name(path.parent / FAILED, path.name)
    first = (
        f"{path.name}: fitcoach could not import this file after {len(attempts)} tries; "
        f"the last error: {last.error or 'none recorded'}"
    )
    text = (
        f"{first}\n"
        "It is not among the files fitcoach refuses for a known reason: send it to whoever "
        "runs this fitcoach (it shows a fault of fitcoach's to be fixed), or export the "
        "activity again (another format, or from another app) and put that in the inbox. "
        "Moving this file back into the inbox tries it again.\n"
        f"(imports {', '.join(str(job.id) for job in attempts)}, {now:%Y-%m-%d %H:%M} UTC)\n"
    )
    os.rename(path, target)
    target.with_name(target.name + REASON_SUFFIX).write_text(text, encoding="utf-8")
    log.warning(
        "inbox file given up",
        extra={"athlete_id": last.athlete_id, "file": path.name, "attempts": len(attempts)},
    )
    return InboxResult(
        target.name, FAILED, now, first, job_id=int(last.id), athlete_id=int(last.athlete_id)
    )


def _content_hash(descriptor: int) -> str:
    digest = hashlib.sha256()
    offset = 0
    while chunk := os.pread(descriptor, 1 << 20, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def _import(
    sessions: sessionmaker[Session],
    athlete_id: int,
    path: Path,
    sha256: str,
    limits: Limits,
    clock: Callable[[], datetime],
    processes: int,
) -> InboxResult:
    """Import the locked file and move it away, or give it up after its attempts."""
    repository.end_interrupted_attempts(sessions, athlete_id, path.name, sha256, clock())
    with sessions() as session:
        attempts = list(repository.inbox_attempts(session, athlete_id, path.name, sha256))
    if len(attempts) >= MAX_FILE_ATTEMPTS:
        result = _give_up(path, attempts, clock())
        repository.release_inbox_file(sessions, athlete_id, path.name, sha256)
        return result
    job_id = create_job(sessions, athlete_id, path.name, inbox_sha256=sha256)
    claim_job(sessions, job_id, clock())
    try:
        job = import_job(sessions, job_id, path, limits, clock=clock, processes=processes)
        result = _move(path, path.parent, job, clock())
    except ImportFault as fault:
        # It counts against the file (the job keeps its hash): tried at the next scans
        # until MAX_FILE_ATTEMPTS, then given up. The job ends failed with the fault.
        retry_or_fail(sessions, job_id, fault.fault, clock())
        raise
    except (DatabaseUnavailable, OSError) as outage:
        _end_outage(sessions, job_id, path, outage, clock())
        raise
    except Exception as error:
        if is_outage(error):
            _end_outage(sessions, job_id, path, error, clock())
        raise
    repository.release_inbox_file(sessions, athlete_id, path.name, sha256)
    log.info(
        "inbox file imported",
        extra={"athlete_id": athlete_id, "file": path.name, "outcome": result.outcome},
    )
    return result


def _end_outage(
    sessions: sessionmaker[Session], job_id: int, path: Path, error: Exception, now: datetime
) -> None:
    """The attempt counts for nothing against the file, which stays in the inbox. When
    the database is still down this fails too: the next take ends the job instead."""
    fault = error.fault if isinstance(error, DatabaseUnavailable) else type(error).__name__
    reason = (
        f"the import stopped at an outage ({fault}); {path.name} stays in the inbox and "
        "is tried again at the next scan"
    )
    try:
        repository.end_uncounted(sessions, job_id, reason, now)
    except Exception:
        log.warning("inbox attempt not recorded", extra={"job_id": job_id}, exc_info=True)


def take_file(
    sessions: sessionmaker[Session],
    athlete_id: int,
    path: Path,
    limits: Limits,
    clock: Callable[[], datetime] = utc_now,
    processes: int = 1,
) -> InboxResult | None:
    """Import one waiting file and move it away; None when it is not to be taken now
    (still changing, taken by another worker, or gone). ImportFault when its import
    stopped at a fault (the file stays until its attempts are spent); an outage (the
    database, the disk) is raised as it came and leaves the file where it is."""
    try:
        seen = path.stat()
    except FileNotFoundError:
        return None
    if not is_settled(seen, clock()):
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # another worker is importing it
        try:
            now_at_path = path.stat()
        except FileNotFoundError:
            return None  # imported and moved by another worker while we waited
        held = os.fstat(descriptor)
        if now_at_path.st_ino != held.st_ino:
            return None  # a new file of the same name: the next scan takes it
        if (held.st_size, held.st_mtime_ns) != (seen.st_size, seen.st_mtime_ns):
            return None  # it grew since the listing: still being written
        sha256 = _content_hash(descriptor)
        return _import(sessions, athlete_id, path, sha256, limits, clock, processes)
    finally:
        os.close(descriptor)  # releases the lock


def _athlete_folders(sessions: sessionmaker[Session], root: Path) -> Iterator[tuple[int, Path]]:
    try:
        folders = sorted(path for path in root.iterdir() if path.is_dir())
    except FileNotFoundError:
        return
    for folder in folders:
        if not folder.name.isdigit():
            continue
        athlete_id = int(folder.name)
        with sessions() as session:
            known = get_athlete(session, athlete_id) is not None
        if known:
            yield athlete_id, folder
        else:
            log.warning("inbox folder of no athlete", extra={"folder": str(folder)})


def scan(
    sessions: sessionmaker[Session],
    root: Path,
    limits: Limits,
    clock: Callable[[], datetime] = utc_now,
    processes: int = 1,
) -> list[InboxResult]:
    """Take every settled file of every athlete's inbox (a zip's files parsed by
    ``processes`` processes); what became of each."""
    results = []
    for athlete_id, folder in _athlete_folders(sessions, root):
        (folder / DONE).mkdir(exist_ok=True)
        (folder / FAILED).mkdir(exist_ok=True)
        for path in waiting_files(folder):
            try:
                result = take_file(sessions, athlete_id, path, limits, clock, processes)
            except ImportFault:
                # Counted against the file: tried again until its attempts are spent.
                log.warning("inbox file stopped at a fault", extra={"file": str(path)})
                continue
            except Exception:
                # An outage (the database, the disk): the file stays where it is, the
                # attempt counts for nothing, and it is tried again at the next scan.
                # Any other fault counts against the file (its job keeps its hash).
                # The other files go on.
                log.exception("inbox file not taken", extra={"file": str(path)})
                continue
            if result is not None:
                results.append(result)
    return results


def athletes_with_new_activities(results: list[InboxResult]) -> list[int]:
    """The athletes a scan added activities to, each once (one re-plan each)."""
    return sorted({r.athlete_id for r in results if r.athlete_id is not None and r.imported})


def recent_results(folder: Path, limit: int) -> list[InboxResult]:
    """The files last moved to done/ or failed/, newest first, with the first line of
    each one's reason (a move changes a file's status-change time, not its mtime)."""
    found: list[InboxResult] = []
    for outcome in (DONE, FAILED):
        try:
            paths = [p for p in (folder / outcome).iterdir() if p.is_file()]
        except FileNotFoundError:
            continue
        for path in paths:
            if path.name.endswith(REASON_SUFFIX):
                continue
            reason_file = path.with_name(path.name + REASON_SUFFIX)
            reason = None
            if reason_file.exists():
                reason = reason_file.read_text(encoding="utf-8").splitlines()[0]
            moved = datetime.fromtimestamp(path.stat().st_ctime, UTC)
            found.append(InboxResult(path.name, outcome, moved, reason))
    found.sort(key=lambda result: result.moved_at, reverse=True)
    return found[:limit]


@dataclass(frozen=True)
class InboxView:
    """The athlete's inbox as the import page shows it."""

    path: Path
    results: list[InboxResult]
    # Why the folder could not be made or read by the web process, in words.
    problem: str | None = None


def inbox_view(root: Path, athlete_id: int, limit: int) -> InboxView:
    """The athlete's inbox (created on this first view) and its last results."""
    folder = root / str(athlete_id)
    try:
        athlete_inbox(root, athlete_id)
        return InboxView(folder.resolve(), recent_results(folder, limit))
    except OSError as error:
        log.warning("inbox unreachable", extra={"folder": str(folder), "error": str(error)})
        return InboxView(
            folder,
            [],
            f"fitcoach cannot create or read this folder ({error.strerror or error}); "
            "check that IMPORT_INBOX_DIR is mounted and writable by fitcoach",
        )
