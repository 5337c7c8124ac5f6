"""A Strava-style archive of 500 activities: imported once, twice, and unsafe archives."""

from __future__ import annotations

import io
import os
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.repository import archive_covers_up_to
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, ActivityStreams, ImportedFile
from tests.imports.builders import (
    archive_items,
    fit_file,
    gpx_file,
    ride,
    run,
    write_archive,
)
from tests.stores import Store

START = datetime(2022, 1, 1, tzinfo=UTC)


def test_a_500_activity_archive_imports_once_and_twice_without_duplicates(
    store: Store, tmp_path: Path
) -> None:
    items = list(archive_items(500, START))
    archive = write_archive(tmp_path / "export_4242.zip", items, manual=3)
    progress: list[tuple[int, int]] = []
    started = time.perf_counter()
    job = import_path(
        store.sessions,
        store.athlete_id,
        archive,
        Limits(),
        on_progress=lambda j: progress.append((j.done, j.total)),
    )
    elapsed = time.perf_counter() - started
    assert job.status == "done", job.error
    assert (job.imported, job.merged, job.duplicates, job.failed) == (503, 0, 0, 0)
    assert job.problems == []
    assert progress[-1] == (503, 503) and len(progress) > 10  # progress moved in steps
    assert elapsed < 120
    assert store.count() == 503
    assert store.count(Activity.source == "archive") == 503
    with store.sessions() as session:
        claims = set(session.scalars(select(Activity.claimed_strava_id)))
        assert {item.strava_id for item in items} <= claims  # the archive's Strava ids
        grouped = select(Activity.load_method, func.count()).group_by(Activity.load_method)
        methods = {method: count for method, count in session.execute(grouped)}
        assert archive_covers_up_to(session, store.athlete_id) == max(
            item.workout.start for item in items
        )
        ride_row = session.get(Activity, store.by_strava_id(items[0].strava_id).id)
        assert ride_row is not None and ride_row.sport_type == "Ride"
        assert ride_row.name == "Morning Ride" and ride_row.load_method == "power_stream"
        swim_row = session.get(Activity, store.by_strava_id(items[2].strava_id).id)
        assert swim_row is not None and swim_row.sport_type == "Swim"  # from the CSV
    # Rides load from their power stream, runs and swims from heart rate; the manual
    # entries (no file) from their duration.
    assert methods == {"power_stream": 167, "heart_rate_stream": 333, "duration_estimate": 3}
    streams = store.streams_of(store.by_strava_id(items[0].strava_id).id)
    assert streams is not None and {"watts", "heartrate", "altitude", "cadence"} <= set(streams)

    again = import_path(store.sessions, store.athlete_id, archive, Limits())
    assert (again.imported, again.merged, again.duplicates, again.failed) == (0, 0, 503, 0)
    assert store.count() == 503
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportedFile)) == 500
        assert session.scalar(select(func.count()).select_from(ActivityStreams)) == 503


def test_single_files_import_once_and_a_folder_of_them(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "device"
    folder.mkdir()
    (folder / "ride.fit").write_bytes(fit_file(ride(START, 600)))
    (folder / "run.gpx").write_bytes(gpx_file(run(START.replace(day=2), 600)))
    (folder / "notes.txt").write_text("not an activity")
    first = import_path(store.sessions, store.athlete_id, folder / "ride.fit", Limits())
    assert (first.status, first.imported) == ("done", 1)
    both = import_path(store.sessions, store.athlete_id, folder, Limits())
    assert (both.imported, both.duplicates, both.failed) == (1, 1, 0)
    assert store.count() == 2 and store.count(Activity.source == "file") == 2
    assert store.count(Activity.claimed_strava_id.is_(None)) == 2  # no Strava id yet


def test_bad_members_are_reported_and_the_rest_imported(store: Store, tmp_path: Path) -> None:
    items = list(archive_items(6, START))
    truncated = fit_file(ride(START.replace(month=6), 300))[:900]
    archive = write_archive(
        tmp_path / "export.zip",
        items[:5],
        extra={"activities/broken.fit": truncated, "activities/readme.txt": b"hello"},
    )
    # The CSV names a member that is not there, and one outside the archive.
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        zipped.writestr("activities/empty.gpx", b"")
    job = import_path(store.sessions, store.athlete_id, archive, Limits())
    assert job.status == "done"
    assert job.imported == 5
    named = {problem["file"]: problem["kind"] for problem in job.problems}
    assert named["../../etc/passwd"] == "UnsafeArchive"
    assert store.count() == 5
    assert not (tmp_path.parent.parent / "etc" / "passwd").exists()


def test_a_csv_row_whose_file_is_bad_keeps_the_summary(store: Store, tmp_path: Path) -> None:
    items = list(archive_items(3, START))
    archive = tmp_path / "export.zip"
    write_archive(archive, items)
    rebuilt = tmp_path / "rebuilt.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == items[1].filename:
                data = data[: len(data) // 3]  # a cut-off GPX
            target.writestr(info, data)
    job = import_path(store.sessions, store.athlete_id, rebuilt, Limits())
    assert (job.imported, job.failed) == (3, 0)
    assert [problem["file"] for problem in job.problems] == [items[1].filename]
    # Summary only, from the CSV.
    assert store.streams_of(store.by_strava_id(items[1].strava_id).id) == {}


def test_zip_bomb_and_oversized_archives_are_refused(store: Store, tmp_path: Path) -> None:
    items = list(archive_items(2, START))
    # The CSV names a GPX that is 40 MB of zeros squeezed into a few kilobytes.
    zeros = b"\0" * (40 * 1024 * 1024)
    bomb = write_archive(tmp_path / "bomb.zip", items, replace={items[1].filename: zeros})
    job = import_path(store.sessions, store.athlete_id, bomb, Limits())
    assert job.status == "done" and job.imported == 2
    assert [p["kind"] for p in job.problems] == ["UnsafeArchive"]
    assert "decompression bomb" in job.problems[0]["problem"]

    small = Limits(max_archive_bytes=1000)
    refused = import_path(store.sessions, store.athlete_id, bomb, small)
    assert refused.status == "failed" and "unpack to more than" in (refused.error or "")
    assert store.count() == 2  # nothing else lost


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.zip", b"", "not a FIT, GPX or TCX file"),
        ("cut.zip", b"PK\x03\x04" + b"\0" * 40, "not a readable zip"),
        ("holiday.jpg", b"\xff\xd8\xff", "not a FIT, GPX or TCX file"),
    ],
)
def test_unreadable_uploads_fail_the_job_with_a_reason(
    store: Store, tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert job.status == "failed" and words in (job.error or "")


def test_nothing_is_written_outside_the_data_directory(store: Store, tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("../../evil.fit", fit_file(ride(START, 60)))
        zipped.writestr("/abs/evil.gpx", gpx_file(run(START, 60)))
    path = tmp_path / "evil.zip"
    path.write_bytes(buffer.getvalue())
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert {p["kind"] for p in job.problems} == {"UnsafeArchive"} and job.imported == 0
    assert set(os.listdir(tmp_path)) == before | {"evil.zip"}
    assert not (tmp_path.parent / "evil.fit").exists()
