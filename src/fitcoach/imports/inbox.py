"""The inbox: one folder per athlete whose activity files the worker imports by itself.

A folder synced by Syncthing or Dropbox, or a watch's USB mount copied into it, works the
same: a file is taken once it has stopped changing (no write for ``SETTLE``: a file
still being written waits), under an exclusive lock (``fcntl.flock``) so that two
workers or two scans never take one file, and imported by the same job as an upload (it
shows on the import page). It is then moved to ``done/``, or to ``failed/`` beside
``<name>.reason.txt``. What was imported is known by its content (the import ledger), so a
file seen again after a restart (moved back, synced again, or a crash before the move)
stores nothing twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes.repository import get_athlete
from fitcoach.core.clock import utc_now
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.repository import claim_job, create_job
from fitcoach.imports.service import run_job
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


@dataclass(frozen=True)
class InboxResult:
    """A file the inbox took: where it went and why."""

    name: str
    outcome: str  # DONE or FAILED
    moved_at: datetime
    reason: str | None = None
    job_id: int | None = None


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
        target.name, outcome, now, reasons[0] if reasons else None, job_id=int(job.id)
    )


def take_file(
    sessions: sessionmaker[Session],
    athlete_id: int,
    path: Path,
    limits: Limits,
    clock: Callable[[], datetime] = utc_now,
    processes: int = 1,
) -> InboxResult | None:
    """Import one waiting file and move it away; None when it is not to be taken now
    (still changing, taken by another worker, or gone)."""
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
        job_id = create_job(sessions, athlete_id, path.name)
        claim_job(sessions, job_id, clock())
        job = run_job(sessions, job_id, path, limits, clock=clock, processes=processes)
        result = _move(path, path.parent, job, clock())
        log.info(
            "inbox file imported",
            extra={"athlete_id": athlete_id, "file": path.name, "outcome": result.outcome},
        )
        return result
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
            except Exception:
                # Not the file's fault (a database or disk error): it stays where it is
                # and is tried again at the next scan; the other files go on.
                log.exception("inbox file not taken", extra={"file": str(path)})
                continue
            if result is not None:
                results.append(result)
    return results


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
