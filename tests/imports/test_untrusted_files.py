"""Every file is untrusted: a fault in one file is that file's problem, every job ends
(done, failed with its reason after its attempts, or cancelled), zip members are checked
before they are inflated, and XML with a document type is refused by the parser."""

from __future__ import annotations

import codecs
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fitcoach.core.db import transaction
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.repository import (
    MAX_ATTEMPTS,
    STALLED_AFTER,
    cancel_job,
    claim_job,
    create_job,
    give_up_stalled,
    pending_jobs,
)
from fitcoach.imports.service import import_path, run_job
from fitcoach.imports.uploads import imports_dir, run_upload
from fitcoach.models import Athlete, ImportJob
from tests.conftest import services_of
from tests.imports.builders import (
    archive_items,
    csv_row,
    fit_file,
    gpx_file,
    ride,
    run,
    tcx_file,
    write_archive,
)
from tests.imports.test_upload_page import client, csrf  # noqa: F401 (fixture)
from tests.stores import Store

START = datetime(2022, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def hostile_gpx() -> bytes:
    """A point at lon=1e300 (its summary once overflowed)."""
    text = gpx_file(run(START.replace(month=2), 120)).decode()
    return re.sub(r'lon="[^"]*"', 'lon="1e300"', text, count=1).encode()


def hostile_tcx() -> bytes:
    """A lap of 1e30 seconds."""
    text = tcx_file(ride(START.replace(month=3), 120)).decode()
    return re.sub(r"<TotalTimeSeconds>[^<]*<", "<TotalTimeSeconds>1e30<", text, count=1).encode()


def test_a_fault_in_one_archive_row_or_member_is_its_problem_and_the_rest_import(
    store: Store, tmp_path: Path
) -> None:
    items = list(archive_items(6, START))
    archive = write_archive(tmp_path / "export.zip", items)
    rebuilt = tmp_path / "hostile.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("activities.csv"):
                lines = data.decode().splitlines()
                # Row 2's elapsed time is beyond any float; row 3's id beyond 64 bits.
                header = lines[0].split(",")
                row = [
                    "1e400" if name == "Elapsed Time" else cell
                    for name, cell in zip(header, csv_row(items[1]), strict=True)
                ]
                lines[2] = ",".join(f'"{c}"' for c in row)
                lines.append(",".join(["99999999999999999999999", *lines[3].split(",")[1:]]))
                data = "\n".join(lines).encode()
            target.writestr(info, data)
    job = import_path(store.sessions, store.athlete_id, rebuilt, Limits())
    assert job.status == "done", job.error
    # Every row with an id is stored; the hostile values were ignored (the file gives them).
    assert job.imported == 6, job.problems
    activity = store.by_strava_id(items[1].strava_id)
    assert activity.elapsed_time_s < 14 * 24 * 3600


def test_an_encrypted_member_is_named_and_hostile_values_cost_nothing(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("a.fit", fit_file(ride(START, 120)))
        zipped.writestr("secret.fit", fit_file(ride(START.replace(month=5), 120)))
        zipped.writestr("b.gpx", gpx_file(run(START.replace(month=6), 120)))
        zipped.writestr("lon.gpx", hostile_gpx())
        zipped.writestr("lap.tcx", hostile_tcx())
    data = bytearray(path.read_bytes())
    # Mark secret.fit's entries as encrypted (general purpose flag, bit 0).
    for marker in (b"PK\x03\x04", b"PK\x01\x02"):
        for match in re.finditer(re.escape(marker), bytes(data)):
            flag_at = match.start() + (6 if marker == b"PK\x03\x04" else 8)
            name_at = match.start() + (30 if marker == b"PK\x03\x04" else 46)
            if bytes(data[name_at : name_at + 10]) == b"secret.fit":
                data[flag_at] |= 1
    path.write_bytes(bytes(data))
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert job.status == "done" and job.imported == 4
    assert [p["file"] for p in job.problems] == ["secret.fit"]
    assert job.problems[0]["reason"]


def test_a_missing_upload_fails_the_job_at_once(store: Store, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stored = imports_dir(data_dir) / "0123abcd.zip"  # never written, or deleted since
    job_id = create_job(
        store.sessions, store.athlete_id, "My rides.zip", stored.relative_to(data_dir).as_posix()
    )
    run_upload(store.sessions, data_dir, job_id, Limits())
    with store.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None and job.status == "failed"
        assert job.error == "My rides.zip: the uploaded file is no longer there; upload it again"
    assert pending_jobs(store.sessions, NOW) == []


def test_an_upload_is_named_by_the_athletes_file_name(store: Store, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stored = imports_dir(data_dir) / "5f0e9a.zip"
    stored.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    job_id = create_job(store.sessions, store.athlete_id, "Summer 2024.zip", "imports/5f0e9a.zip")
    run_upload(store.sessions, data_dir, job_id, Limits())
    with store.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None and job.status == "failed"
        assert job.error is not None and job.error.startswith("Summer 2024.zip: not a readable")
        assert "5f0e9a" not in str(job.problems) + job.error
    assert not stored.exists()  # the job ended: its upload is deleted


class Fault(Exception):
    """A fault no file causes (the job's own code or the machine)."""


def test_a_faulting_job_is_tried_again_then_fails_with_its_reason(
    store: Store, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    upload = imports_dir(data_dir) / "abc.fit"
    upload.write_bytes(fit_file(ride(START, 120)))
    job_id = create_job(store.sessions, store.athlete_id, "Ride.fit", "imports/abc.fit")

    def fault(_job: ImportJob) -> None:
        raise Fault("the disk went away")

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert claim_job(store.sessions, job_id, NOW)
        job = run_job(
            store.sessions, job_id, upload, Limits(), clock=lambda: NOW, on_progress=fault
        )
        assert job.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert job.status == "queued" and upload.exists()  # kept for the next attempt
            assert job_id in pending_jobs(store.sessions, NOW)
    assert job.status == "failed"
    assert job.error == "the import stopped at a fault (3 attempts): Fault: the disk went away"
    assert not claim_job(store.sessions, job_id, NOW)
    assert store.count() == 0


def test_a_job_whose_worker_keeps_dying_ends_failed_and_its_upload_goes(
    store: Store, tmp_path: Path
) -> None:
    job_id = create_job(store.sessions, store.athlete_id, "Big.zip", "imports/big.zip")
    # Each worker claims it, then dies without a word; the sweep hands it to the next.
    for minutes_ago in (40, 25, 12):
        assert claim_job(store.sessions, job_id, NOW - timedelta(minutes=minutes_ago))
    assert not claim_job(store.sessions, job_id, NOW)
    assert pending_jobs(store.sessions, NOW) == []
    assert give_up_stalled(store.sessions, NOW) == ["imports/big.zip"]
    with store.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None and job.status == "failed" and job.finished_at == NOW
        assert job.error is not None and "stopped 3 times" in job.error


def test_a_running_import_stops_when_cancelled_and_keeps_nothing_of_the_batch(
    store: Store, tmp_path: Path
) -> None:
    archive = write_archive(tmp_path / "export.zip", list(archive_items(30, START)))
    job_id = create_job(store.sessions, store.athlete_id, "export.zip", "imports/x.zip")
    assert claim_job(store.sessions, job_id, NOW)
    assert cancel_job(store.sessions, store.athlete_id, job_id, NOW) is None  # a worker has it
    job = run_job(store.sessions, job_id, archive, Limits(), clock=lambda: NOW)
    assert job.status == "cancelled" and job.error == "cancelled by you"
    assert store.count() == 0


def test_the_athlete_cancels_a_waiting_import_with_the_form(
    client: TestClient,  # noqa: F811 (fixture)
    isolated_settings: Path,
) -> None:
    services = services_of(client.app)
    upload = imports_dir(services.settings.data_dir) / "w.zip"
    upload.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    with transaction(services.sessions) as session:
        athlete_id = int(session.scalars(select(Athlete.id)).one())
        job = ImportJob(athlete_id=athlete_id, filename="Winter.zip", stored_path="imports/w.zip")
        session.add(job)
        session.flush()
        job_id = int(job.id)
    part = client.get(f"/partials/import/{job_id}").text
    assert "Cancel import" in part
    refused = client.post(f"/imports/{job_id}/cancel", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert client.get(f"/api/imports/{job_id}").json()["status"] == "queued" and upload.exists()
    answer = client.post(
        f"/imports/{job_id}/cancel", data={"csrf": csrf(client)}, follow_redirects=False
    )
    assert answer.status_code == 303
    status = client.get(f"/api/imports/{job_id}").json()
    assert status["status"] == "cancelled" and status["finished"]
    assert not upload.exists()
    assert (
        client.post(f"/imports/{job_id + 99}/cancel", data={"csrf": csrf(client)}).status_code
        == 404
    )


def test_a_plain_zip_member_is_checked_before_it_is_inflated(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "plain.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("ride.fit", fit_file(ride(START, 120)))
        zipped.writestr("zeros.gpx", b"\0" * (40 * 1024 * 1024))
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert job.status == "done" and job.imported == 1
    assert [(p["file"], p["kind"]) for p in job.problems] == [("zeros.gpx", "UnsafeArchive")]
    assert "decompression bomb" in job.problems[0]["reason"]


DOCTYPE = '<!DOCTYPE gpx [<!ENTITY name "Bombed">]>'


@pytest.mark.parametrize(
    "variant",
    ["padded", "utf-16", "after-comment"],
)
def test_xml_with_a_doctype_is_refused_by_the_parser_however_it_is_hidden(
    store: Store, tmp_path: Path, variant: str
) -> None:
    text = gpx_file(run(START, 120)).decode()
    body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
    if variant == "padded":
        document = ('<?xml version="1.0"?>' + " " * 8000 + DOCTYPE + body).encode()
    elif variant == "utf-16":
        declared = '<?xml version="1.0" encoding="UTF-16"?>' + DOCTYPE + body
        document = codecs.BOM_UTF16_LE + declared.encode("utf-16-le")
    else:
        document = ('<?xml version="1.0"?><!--' + "x" * 5000 + "-->" + DOCTYPE + body).encode()
    path = tmp_path / "route.gpx"
    path.write_bytes(document)
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert job.imported == 0 and store.count() == 0
    assert [(p["file"], p["kind"]) for p in job.problems] == [("route.gpx", "UnsafeArchive")]
    assert "document type declaration" in job.problems[0]["reason"]


def test_a_utf16_gpx_without_a_doctype_imports(store: Store, tmp_path: Path) -> None:
    text = gpx_file(run(START, 120)).decode()
    body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
    declared = '<?xml version="1.0" encoding="UTF-16"?>' + body
    path = tmp_path / "route.gpx"
    path.write_bytes(codecs.BOM_UTF16_LE + declared.encode("utf-16-le"))
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert (job.imported, job.problems) == (1, [])


def test_stalled_jobs_are_resumed_only_within_their_attempts(store: Store) -> None:
    job_id = create_job(store.sessions, store.athlete_id, "a.fit", "imports/a.fit")
    assert claim_job(store.sessions, job_id, NOW)
    assert not claim_job(store.sessions, job_id, NOW + timedelta(minutes=1))  # still beating
    assert job_id in pending_jobs(store.sessions, NOW + 2 * STALLED_AFTER)


def test_every_copy_of_a_refused_file_is_named(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "copies.zip"
    broken = fit_file(ride(START, 120))[:300]
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("2021/cut.fit", broken)
        zipped.writestr("ride.fit", fit_file(ride(START.replace(month=7), 120)))
        zipped.writestr("backup/cut-copy.fit", broken)
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert (job.imported, job.duplicates, job.failed) == (1, 0, 2)
    assert [p["file"] for p in job.problems] == ["2021/cut.fit", "backup/cut-copy.fit"]
    assert job.problems[0]["reason"] == job.problems[1]["reason"]
