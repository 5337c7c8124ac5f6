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
Memory: the importing process's peak, plus the proportional memory (PSS) of the fork
server and the parsing processes (their peaks sampled at each batch), under 500 MB.
CPU seconds of each way are printed too: on a busy machine the kernel shares the cores
between sessions, not processes, so wall-clock rates there understate a pool.
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


def descendants() -> dict[int, tuple[float, float]]:
    """(proportional memory in MB, CPU seconds) of each process below this one (the fork
    server and the pool's parsing processes), from /proc. Proportional (PSS): a page the
    fork server shares with its forks counts once, split between them."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found = True
    seen: dict[int, tuple[float, float]] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in mine - {os.getpid()}:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pss = next(line for line in rollup.splitlines() if line.startswith("Pss:"))
        cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        seen[pid] = (int(pss.split()[1]) / 1024, cpu)
    return seen


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def import_once(archive: str, database: str, files: int, processes: int) -> dict[str, float]:
    """One import in this (fresh) process: seconds and peak memory."""
    engine = make_engine(make_url(database))
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.add(Athlete(id=ATHLETE, firstname="Bench", ftp_watts=250.0))
    before, cpu_before = peak_mb(), own_cpu_s()
    started = time.perf_counter()
    below: dict[int, tuple[float, float]] = {}

    def sample(_job: object) -> None:
        for pid, (mb, cpu) in descendants().items():
            old_mb, old_cpu = below.get(pid, (0.0, 0.0))
            below[pid] = (max(old_mb, mb), max(old_cpu, cpu))

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
        "cpu_s": own_cpu_s() - cpu_before,
        # Sampled at each batch of 25 files: the fork server and each parsing process.
        "below_mb": sum(mb for mb, _ in below.values()),
        "largest_below_mb": max((mb for mb, _ in below.values()), default=0.0),
        "below_cpu_s": sum(cpu for _, cpu in below.values()),
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
        f"{pooled['below_mb']:.0f} MB proportional (largest {pooled['largest_below_mb']:.0f}"
        f" MB) = {total:.0f} MB (target < 500 MB)"
    )
    # On a busy machine the kernel shares the cores between sessions (autogroups), not
    # processes, so a pool's processes may get no more CPU than one process: the CPU
    # seconds say what each way costs, and what two idle cores would allow.
    pool_cpu = pooled["cpu_s"] + pooled["below_cpu_s"]
    bound = max(pooled["cpu_s"], pool_cpu / processes)
    print(
        f"CPU seconds: 1 process {single['cpu_s']:.0f} s; pool: importing process "
        f"{pooled['cpu_s']:.0f} s + parsing processes {pooled['below_cpu_s']:.0f} s "
        f"= {pool_cpu:.0f} s; on {processes} idle cores at best "
        f"{args.files / bound:.1f} files/s (the importing process's share bounds it)"
    )
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
