"""Benchmark of importing a Strava bulk-export archive: files per second and peak memory.

Run: uv run python bench/import_archive.py [--files 2000] [--seconds 300] [--database URL]

A Strava-style archive is generated (activities.csv plus gzipped FIT rides, GPX runs and
gzipped TCX swims of ``--seconds`` samples each, written by the test suite's builders).
The import (read, dedupe, parse, store with streams, loads from the streams) is set
against a baseline in the same run: only reading and parsing the same files, i.e. the
floor no import can beat. The import runs first, so the peak resident memory printed
after it is the import's own (target: under 500 MB whatever the archive's size).
"""

from __future__ import annotations

import argparse
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
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, Athlete
from tests.imports.builders import archive_items, write_archive

ATHLETE = 1


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=300, help="samples per activity")
    parser.add_argument("--database", default="", help="SQLAlchemy URL (default: a temp SQLite)")
    args = parser.parse_args()

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
        engine = make_engine(make_url(args.database or f"sqlite:///{work / 'bench.db'}"))
        migrations.upgrade(engine)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            session.add(Athlete(id=ATHLETE, firstname="Bench", ftp_watts=250.0))
        before = peak_mb()

        started = time.perf_counter()
        job = import_path(sessions, ATHLETE, archive, Limits())
        imported_s = time.perf_counter() - started
        import_peak = peak_mb()
        with sessions() as session:
            stored = session.scalar(select(func.count()).select_from(Activity))
        assert job.status == "done" and stored == args.files, (job.status, stored, job.error)

        started = time.perf_counter()
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if info.filename.startswith("activities/"):
                    read_activity(info.filename, zipped.read(info), Limits())
        parse_s = time.perf_counter() - started
        engine.dispose()

    import_rate, parse_rate = args.files / imported_s, args.files / parse_s
    print(f"parse only (baseline): {parse_rate:8.1f} files/s  ({parse_s:.1f} s)")
    print(f"import:                {import_rate:8.1f} files/s  ({imported_s:.1f} s)")
    print(f"import / baseline:     {import_rate / parse_rate:8.2f} (1.00 = as fast as parsing)")
    print(
        f"peak memory: {import_peak:.0f} MB during the import "
        f"(peak before it, generating the archive: {before:.0f} MB; target < 500 MB)"
    )


if __name__ == "__main__":
    main()
