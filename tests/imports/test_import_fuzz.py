"""Hostile FIT, GPX, TCX and zip inputs written by hypothesis, imported for real: no fault
escapes, every job ends, nothing of a refused file is stored, and every good file of a
mixed archive is stored."""

from __future__ import annotations

import io
import itertools
import re
import struct
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, ActivityStreams, ImportedFile
from tests.imports.builders import fit_crc, fit_file, gpx_file, ride, run, tcx_file
from tests.stores import Store

START = datetime(2021, 3, 1, 7, tzinfo=UTC)
# A few examples each: the suite's time budget, and each one is a whole import.
FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Each example's good files start on days of their own, so that none is a duplicate of
# another example's (the store is shared by the examples).
_DAYS = itertools.count(1)

HOSTILE_NUMBERS = st.sampled_from(
    [
        "1e300",
        "-1e308",
        "1e30",
        "nan",
        "inf",
        "-inf",
        "99999999999999999999999999",
        "-99999999999999999999",
        "",
        "0",
        "-0",
        "1e-320",
        "0x10",
        "１２",
    ]
)
HOSTILE_TIMES = st.sampled_from(
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "", "yesterday"]
)
HOSTILE_NAMES = st.sampled_from(
    ["../escape.fit", "/etc/cron.d/x.gpx", "C:evil.tcx", "a\\b.fit", "deep/../../up.gpx"]
)


def good_files(count: int) -> dict[str, bytes]:
    files = {}
    for index in range(count):
        start = START + timedelta(days=next(_DAYS))
        kind = index % 3
        if kind == 0:
            files[f"good/{index}.fit"] = fit_file(ride(start, 180, seed=index))
        elif kind == 1:
            files[f"good/{index}.gpx"] = gpx_file(run(start, 180, seed=index))
        else:
            files[f"good/{index}.tcx"] = tcx_file(ride(start, 180, seed=index))
    return files


def refit(body: bytes) -> bytes:
    """A FIT file around ``body`` with valid header and file CRCs, so the decoder reads on
    past the checksum into the damaged messages."""
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    content = header + body
    return content + struct.pack("<H", fit_crc(content))


@st.composite
def hostile_fit(draw: st.DrawFn) -> bytes:
    original = fit_file(ride(START, 60))
    body = bytearray(original[14:-2])
    for _ in range(draw(st.integers(1, 12))):
        at = draw(st.integers(0, len(body) - 1))
        body[at] = draw(st.integers(0, 255))
    cut = draw(st.integers(len(body) // 2, len(body)))
    return refit(bytes(body[:cut])) if draw(st.booleans()) else bytes(original[: 14 + cut])


@st.composite
def hostile_xml(draw: st.DrawFn, kind: str) -> bytes:
    workout = run(START, 60) if kind == "gpx" else ride(START, 60)
    text = (gpx_file if kind == "gpx" else tcx_file)(workout).decode()
    numbers = list(re.finditer(r'(?<=lat=")[^"]*|(?<=lon=")[^"]*|(?<=>)-?[0-9.]+(?=<)', text))
    times = list(re.finditer(r"(?<=<[Tt]ime>)[^<]*|(?<=StartTime=\")[^\"]*", text))
    edits = {}
    for _ in range(draw(st.integers(1, 6))):
        if numbers:
            match = numbers[draw(st.integers(0, len(numbers) - 1))]
            edits[match.span()] = draw(HOSTILE_NUMBERS)
    if times and draw(st.booleans()):
        match = times[draw(st.integers(0, len(times) - 1))]
        edits[match.span()] = draw(HOSTILE_TIMES)
    for (begin, end), value in sorted(edits.items(), reverse=True):
        text = text[:begin] + value + text[end:]
    if draw(st.booleans()):
        text = text[: draw(st.integers(len(text) // 3, len(text)))]  # cut short
    return text.encode()


def hostile_member() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.one_of(
        st.tuples(st.just("bad.fit"), hostile_fit()),
        st.tuples(st.just("bad.gpx"), hostile_xml("gpx")),
        st.tuples(st.just("bad.tcx"), hostile_xml("tcx")),
        st.tuples(HOSTILE_NAMES, st.just(gpx_file(run(START, 30)))),
        st.tuples(st.sampled_from(["junk.fit", "junk.gpx"]), st.binary(max_size=200)),
    )


def ledger_and_streams_whole(store: Store) -> None:
    """Nothing half-stored: every ledger entry has its activity, every stream its row."""
    with store.sessions() as session:
        orphans = session.scalar(
            select(func.count())
            .select_from(ImportedFile)
            .outerjoin(Activity, Activity.id == ImportedFile.activity_id)
            .where(Activity.id.is_(None))
        )
        loose = session.scalar(
            select(func.count())
            .select_from(ActivityStreams)
            .outerjoin(Activity, Activity.id == ActivityStreams.activity_id)
            .where(Activity.id.is_(None))
        )
    assert (orphans, loose) == (0, 0)


@FUZZ
@given(hostile=st.lists(hostile_member(), min_size=1, max_size=4), good=st.integers(1, 4))
def test_a_mixed_archive_stores_every_good_file_and_names_the_rest(
    store: Store, tmp_path: Path, hostile: list[tuple[str, bytes]], good: int
) -> None:
    files = good_files(good)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for index, (name, data) in enumerate(hostile):
            member = name if "/" in name or "\\" in name or ":" in name else f"x{index}/{name}"
            zipped.writestr(member, data)
        for name, data in files.items():
            zipped.writestr(name, data)
    path = tmp_path / f"mixed-{next(_DAYS)}.zip"
    path.write_bytes(buffer.getvalue())
    before = store.count()
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert job.status == "done", job.error
    assert job.done == job.total
    named = {problem["file"] for problem in job.problems}
    with store.sessions() as session:
        stored_names = set(session.scalars(select(ImportedFile.filename)))
    assert set(files) <= stored_names  # every good file, by its own ledger entry
    assert not named & set(files)
    assert store.count() - before >= good
    # A hostile member is either read (a mutation can leave a valid file) or named.
    assert len(named) + job.imported + job.merged + job.duplicates >= len(hostile) + good - 1
    ledger_and_streams_whole(store)


@FUZZ
@given(member=hostile_member())
def test_a_single_hostile_file_ends_its_job_and_is_named_by_its_file_name(
    store: Store, tmp_path: Path, member: tuple[str, bytes]
) -> None:
    name, data = member
    file_name = f"upload-{next(_DAYS)}{Path(name).suffix or '.gpx'}"
    path = tmp_path / file_name
    path.write_bytes(data)
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert job.status in ("done", "failed"), job.status
    if job.imported + job.merged + job.duplicates == 0:
        assert [problem["file"] for problem in job.problems] == [file_name]
        assert job.problems[0]["reason"]
    ledger_and_streams_whole(store)
