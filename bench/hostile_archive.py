"""Benchmark: an archive of thousands of files with hostile members among them imports every
good file and names every bad one.

Run: uv run python bench/hostile_archive.py [--files 4000] [--hostile 0.01] [--database URL]

The archive is a plain zip: the real GPX and TCX recordings of tests/files/real/ (those
under --max-kb) repeated with every timestamp moved by a day per copy, and FIT rides
written by the test suite's builders; a share of --hostile members is replaced by hostile
ones (seeded, so a run is repeatable): a point at lon=1e300, a TCX lap of 1e30 s, a FIT
file cut short, FIT messages damaged behind valid checksums, a padded or UTF-16 DOCTYPE,
a member of zeros compressed a thousandfold, a name outside the archive, random bytes.
Prints what was stored and named, the wall time and the peak resident memory.
"""

from __future__ import annotations

import argparse
import codecs
import random
import re
import resource
import struct
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from sqlalchemy.engine import make_url

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.imports.errors import FilesError
from fitcoach.imports.parsing.formats import read_activity
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Athlete, ImportedFile
from tests.imports.builders import fit_crc, fit_file, gpx_file, ride, run, tcx_file

ATHLETE = 1
REAL = Path(__file__).resolve().parent.parent / "tests" / "files" / "real"
START = datetime(2015, 1, 1, 6, tzinfo=UTC)
_TIME = re.compile(rb"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def shifted(data: bytes, days: int) -> bytes:
    """The recording with every timestamp ``days`` later (a new activity each copy)."""

    def move(match: re.Match[bytes]) -> bytes:
        moment = datetime.fromisoformat(match.group(1).decode()) + timedelta(days=days)
        return moment.strftime("%Y-%m-%dT%H:%M:%S").encode() + (match.group(2) or b"")

    return _TIME.sub(move, data)


def _usable(path: Path) -> bool:
    """A recording fitcoach imports as it is (the corpus also holds files it refuses by
    design, which are no good files), and whose timestamps the shift moves."""
    data = path.read_bytes()
    try:
        read_activity(path.name, data, Limits())
    except FilesError:
        return False
    return shifted(data, 1) != data


def refit(body: bytes) -> bytes:
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    content = header + body
    return content + struct.pack("<H", fit_crc(content))


def hostile_members(rng: random.Random) -> list[Callable[[int], tuple[str, bytes]]]:
    def lon(i: int) -> tuple[str, bytes]:
        text = gpx_file(run(START + timedelta(days=3000 + i % 300), 120)).decode()
        return f"hostile/{i}-lon.gpx", re.sub(r'lon="[^"]*"', 'lon="1e300"', text, count=1).encode()

    def lap(i: int) -> tuple[str, bytes]:
        text = tcx_file(ride(START + timedelta(days=3000 + i % 300), 120)).decode()
        bad = re.sub(r"<TotalTimeSeconds>[^<]*<", "<TotalTimeSeconds>1e30<", text, count=1)
        return f"hostile/{i}-lap.tcx", bad.encode()

    def cut(i: int) -> tuple[str, bytes]:
        return f"hostile/{i}-cut.fit", fit_file(ride(START, 120))[: rng.randint(20, 600)]

    def damaged(i: int) -> tuple[str, bytes]:
        body = bytearray(fit_file(ride(START + timedelta(days=3000 + i % 300), 120))[14:-2])
        for _ in range(8):
            body[rng.randrange(len(body))] = rng.randrange(256)
        return f"hostile/{i}-damaged.fit", refit(bytes(body))

    def doctype(i: int) -> tuple[str, bytes]:
        body = gpx_file(run(START, 60)).decode().split("?>", 1)[1]
        bomb = '<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        if i % 2:
            text = '<?xml version="1.0" encoding="UTF-16"?>' + bomb + body
            return f"hostile/{i}-utf16.gpx", codecs.BOM_UTF16_LE + text.encode("utf-16-le")
        return f"hostile/{i}-padded.gpx", (
            '<?xml version="1.0"?>' + " " * 5000 + bomb + body
        ).encode()

    def zeros(i: int) -> tuple[str, bytes]:
        return f"hostile/{i}-zeros.tcx", b"\0" * (8 * 1024 * 1024)

    def escape(i: int) -> tuple[str, bytes]:
        return f"../../{i}-escape.gpx", gpx_file(run(START, 60))

    def noise(i: int) -> tuple[str, bytes]:
        return f"hostile/{i}-noise.fit", rng.randbytes(rng.randint(1, 4000))

    return [lon, lap, cut, damaged, doctype, zeros, escape, noise]


def write(
    path: Path, files: int, hostile_share: float, max_kb: int, seconds: int
) -> tuple[set[str], set[str]]:
    rng = random.Random(4000)
    real = [
        p
        for p in sorted(REAL.rglob("*"))
        if p.suffix in (".gpx", ".tcx") and p.stat().st_size <= max_kb * 1024 and _usable(p)
    ]
    hostile_count = round(files * hostile_share)
    makers = hostile_members(rng)
    good: set[str] = set()
    bad: set[str] = set()
    hostile_at = set(rng.sample(range(files), hostile_count))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for index in range(files):
            if index in hostile_at:
                name, data = makers[len(bad) % len(makers)](index)
                zipped.writestr(name, data)
                bad.add(name)
                continue
            if index % 2 and real:
                source = real[(index // 2) % len(real)]
                copy = index // (2 * len(real)) + 1
                name = f"real/{copy}/{source.name}"
                zipped.writestr(name, shifted(source.read_bytes(), copy))
            else:
                name = f"fit/{index}.fit"
                workout = ride(START + timedelta(hours=6 * index), seconds, seed=index)
                zipped.writestr(name, fit_file(workout))
            good.add(name)
    return good, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--hostile", type=float, default=0.01, help="share of hostile members")
    parser.add_argument("--max-kb", type=int, default=150, help="largest real file repeated")
    parser.add_argument("--seconds", type=int, default=300, help="samples per FIT ride")
    parser.add_argument("--database", default="", help="SQLAlchemy URL (default: a temp SQLite)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        archive = work / "hostile.zip"
        good, bad = write(archive, args.files, args.hostile, args.max_kb, args.seconds)
        size_mb = archive.stat().st_size / 1024 / 1024
        print(f"archive: {args.files} members ({len(bad)} hostile), {size_mb:.1f} MB")
        url = make_url(args.database or f"sqlite:///{work / 'bench.db'}")
        engine = make_engine(url)
        migrations.upgrade(engine)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            session.add(Athlete(id=ATHLETE, firstname="Bench", ftp_watts=250.0, threshold_hr=165))
        started = time.perf_counter()
        job = import_path(sessions, ATHLETE, archive, Limits())
        elapsed = time.perf_counter() - started
        with sessions() as session:
            ledgered = set(session.scalars(select(ImportedFile.filename)))
        named = {problem["file"] for problem in job.problems}
        good_stored = len(good & ledgered)
        duplicates = job.duplicates  # a repeated real recording whose copy is unchanged
        bad_named = len(bad & named)
        bad_read = len(bad & ledgered)  # hostile values ignored by rule; the rest read
        print(
            f"job: {job.status}; {job.done}/{job.total} read, {job.imported} imported, "
            f"{job.merged} merged, {duplicates} duplicates, {job.failed} skipped"
        )
        print(f"good files stored: {good_stored} of {len(good)}")
        print(
            f"hostile members: {bad_named} named with a reason, {bad_read} stored by rule "
            f"(out-of-range values ignored), {len(bad) - bad_named - bad_read} neither"
        )
        print(f"good files named as problems: {len(good & named)}")
        print(
            f"import: {elapsed:.0f} s, {args.files / elapsed:.1f} files/s; peak {peak_mb():.0f} MB"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
