"""Strava archives of the layouts of activities.csv other than today's: the older one is
read by its own column names; an unknown one costs the CSV, not the files."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, ImportedFile
from tests.imports.builders import gpx_file, ride, run
from tests.stores import Store

START = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


def write_export(
    path: Path, header: list[str], rows: list[list[str]], files: dict[str, bytes]
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("activities.csv", text.getvalue())
        for name, data in files.items():
            archive.writestr(name, data)
    return path


OLDER_HEADER = "id,date,name,type,description,elapsed_time,distance,commute,gear,filename"


def test_an_older_strava_export_is_read_by_its_own_column_names(
    store: Store, tmp_path: Path
) -> None:
    # Strava's layout before mid-2019: lower-case names, UTC dates, distance in metres.
    first, second = ride(START, 600), run(START + timedelta(days=1), 600)
    rows = [
        ["1836776031", f"{START:%Y-%m-%d %H:%M:%S}", "Evening Ride", "Ride", "", "599",
         f"{first.distance[-1]:.1f}", "true", "Merida", "activities/1836776031.gpx"],
        ["1836776032", f"{START + timedelta(days=1):%Y-%m-%d %H:%M:%S}", "Track", "Run", "",
         "599", f"{second.distance[-1]:.1f}", "false", "", "activities/1836776032.gpx"],
        ["1836776033", f"{START + timedelta(days=2):%Y-%m-%d %H:%M:%S}", "Pool", "Swim", "",
         "1800", "1500.0", "false", "", ""],
    ]  # fmt: skip
    archive = write_export(
        tmp_path / "export_old.zip",
        OLDER_HEADER.split(","),
        rows,
        {
            "activities/1836776031.gpx": gpx_file(first, name="ignored"),
            "activities/1836776032.gpx": gpx_file(second),
        },
    )
    job = import_path(store.sessions, store.athlete_id, archive, Limits())
    assert (job.status, job.imported, job.failed, job.problems) == ("done", 3, 0, [])
    with store.sessions() as session:
        stored = {a.claimed_strava_id: a for a in session.scalars(select(Activity))}
    assert set(stored) == {1836776031, 1836776032, 1836776033}  # the export's Strava ids
    assert stored[1836776031].name == "Evening Ride" and stored[1836776031].commute
    assert stored[1836776031].distance_m == pytest.approx(first.distance[-1], abs=0.1)
    assert stored[1836776033].manual and stored[1836776033].distance_m == 1500.0
    assert job.covers_up_to == START + timedelta(days=2)


def test_an_export_of_an_unknown_csv_layout_imports_its_files(store: Store, tmp_path: Path) -> None:
    german = ["Aktivitäts-ID", "Aktivitätsdatum", "Name der Aktivität", "Dateiname"]
    rows = [["1", "2. Juni 2024", "Lauf", "activities/1.gpx"]]
    archive = write_export(
        tmp_path / "export_de.zip",
        german,
        rows,
        {"activities/1.gpx": gpx_file(run(START, 600)), "activities/2.tcx": b"<nope/>"},
    )
    job = import_path(store.sessions, store.athlete_id, archive, Limits())
    assert (job.status, job.imported) == ("done", 1)
    kinds = {problem["file"]: problem["kind"] for problem in job.problems}
    assert kinds == {"activities.csv": "CorruptFile", "activities/2.tcx": "CorruptFile"}
    assert store.count(Activity.source == "file") == 1
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportedFile)) == 1
