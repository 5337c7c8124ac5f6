"""Benchmark of importing a Strava bulk-export archive: files per second and peak memory.

Run: uv run python bench/import_archive.py [--files 2000] [--seconds 300] [--processes N]

A Strava-style archive is generated (activities.csv plus gzipped FIT rides, GPX runs and
gzipped TCX swims of ``--seconds`` samples each, written by the test suite's builders).
The same archive is then imported twice, side by side in one run, each into a fresh
SQLite database and in a fresh process of its own (so each peak memory is its own):
parsed in the importing process (IMPORT_PROCESSES=1), and by a pool of ``--processes``
(default: min(2, cores), as IMPORT_PROCESSES=0). Each import reads, dedupes, parses,
stores with streams in batches and computes the loads. A baseline in the same run only
reads and parses the files in one process: the floor a single process cannot beat.
Memory: the importing process's peak, plus the resident memory of the fork server and
the parsing processes (their peaks sampled at each batch), together under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.imports.parsing.formats import read_activity
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.pool import processes_for
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, Athlete
from tests.imports.builders import archive_items, write_archive

ATHLETE = 1


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def descendants_rss_mb() -> dict[int, float]:
    """Resident memory of each process below this one (the fork server and the pool's
    parsing processes), from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0"))
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found = True
    return {pid: rss[pid] for pid in mine if pid != os.getpid()}


def import_once(archive: str, database: str, files: int, processes: int) -> dict[str, float]:
    """One import in this (fresh) process: seconds and peak memory."""
    engine = make_engine(make_url(database))
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.add(Athlete(id=ATHLETE, firstname="Bench", ftp_watts=250.0))
    before = peak_mb()
    started = time.perf_counter()
    below: dict[int, float] = {}

    def sample(_job: object) -> None:
        for pid, mb in descendants_rss_mb().items():
            below[pid] = max(below.get(pid, 0.0), mb)

    job = import_path(
        sessions, ATHLETE, Path(archive), Limits(), processes=processes, on_progress=sample
    )
    seconds = time.perf_counter() - started
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Activity))
    assert job.status == "done" and stored == files, (job.status, stored, job.error)
    engine.dispose()
    return {
        "seconds": seconds,
        "before_mb": before,
        "peak_mb": peak_mb(),
        # Sampled at each batch of 25 files: the fork server and each parsing process.
        "below_mb": sum(below.values()),
        "largest_below_mb": max(below.values(), default=0.0),
    }


def _child(queue: multiprocessing.Queue[str], *args: object) -> None:
    queue.put(json.dumps(import_once(*args)))  # type: ignore[arg-type]


def in_fresh_process(*args: object) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str] = context.Queue()
    process = context.Process(target=_child, args=(queue, *args))
    process.start()
    result = json.loads(queue.get())
    process.join()
    return dict(result)


def parse_only(archive: Path) -> float:
    started = time.perf_counter()
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            if info.filename.startswith("activities/"):
                read_activity(info.filename, zipped.read(info), Limits())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=300, help="samples per activity")
    parser.add_argument("--processes", type=int, default=0, help="0: min(2, cores)")
    args = parser.parse_args()
    processes = processes_for(args.processes)

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        started = time.perf_counter()
        items = list(
            archive_items(args.files, datetime(2019, 1, 1, tzinfo=UTC), seconds=args.seconds)
        )
        archive = write_archive(work / "export.zip", items)
        size_mb = archive.stat().st_size / 1024 / 1024
        print(
            f"archive: {args.files} files of {args.seconds} samples, {size_mb:.1f} MB, "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        del items
        single = in_fresh_process(str(archive), f"sqlite:///{work / 'single.db'}", args.files, 1)
        pooled = in_fresh_process(
            str(archive), f"sqlite:///{work / 'pool.db'}", args.files, processes
        )
        parse_s = parse_only(archive)

    parse_rate = args.files / parse_s
    single_rate = args.files / single["seconds"]
    pool_rate = args.files / pooled["seconds"]
    print(f"parse only, 1 process (baseline): {parse_rate:6.1f} files/s  ({parse_s:.1f} s)")
    print(
        f"import, 1 process:                {single_rate:6.1f} files/s  "
        f"({single['seconds']:.1f} s; {single_rate / parse_rate:.2f} x parsing alone)"
    )
    print(
        f"import, pool of {processes}:                {pool_rate:6.1f} files/s  "
        f"({pooled['seconds']:.1f} s; {pool_rate / single_rate:.2f} x the single process, "
        f"{pool_rate / parse_rate:.2f} x parsing alone)"
    )
    total = pooled["peak_mb"] + pooled["below_mb"]
    print(
        f"peak memory: 1 process {single['peak_mb']:.0f} MB; pool: importing process "
        f"{pooled['peak_mb']:.0f} MB + fork server and {processes} parsing processes "
        f"{pooled['below_mb']:.0f} MB (largest {pooled['largest_below_mb']:.0f} MB) = "
        f"{total:.0f} MB (target < 500 MB)"
    )
    print(f"cores: {os.cpu_count()}, load average before the run: {os.getloadavg()}")


if __name__ == "__main__":
    main()
