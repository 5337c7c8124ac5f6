"""The import page: upload with CSRF, progress, and refusals that leave nothing behind."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings
from fitcoach.models import Activity, ActivityStreams, Athlete
from tests.conftest import RunningServer, login_through_simulator, recording_app, services_of
from tests.imports.builders import archive_items, fit_file, ride, write_archive

START = datetime(2025, 3, 1, 6, tzinfo=UTC)


@pytest.fixture
def client(
    sqlite_url: URL, simulator: RunningServer, isolated_settings: Path
) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        database_url=sqlite_url.render_as_string(hide_password=False),
        strava_base_url=simulator.url,
        strava_client_id="1",
        strava_client_secret="simulator-secret",
        public_url="http://testserver",
        max_upload_mb=2,
    )
    app, _ = recording_app(settings, inline=frozenset({"import"}))
    with TestClient(app) as test_client:
        answer = login_through_simulator(test_client)
        assert test_client.get("/auth/strava/callback", params=answer).status_code == 200
        yield test_client


def csrf(client: TestClient) -> str:
    page = client.get("/import")
    assert page.status_code == 200 and "Import your own activity files" in page.text
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def uploads(data_dir: Path) -> list[Path]:
    folder = data_dir / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_upload_imports_in_the_background_and_reports_progress(
    client: TestClient, isolated_settings: Path
) -> None:
    token = csrf(client)
    response = client.post(
        "/import",
        data={"csrf": token},
        files={"file": ("morning.fit.gz", gzip.compress(fit_file(ride(START, 900))))},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    job_id = int(response.headers["location"].split("job=")[1])
    status = client.get(f"/api/imports/{job_id}").json()
    assert status["status"] == "done" and status["imported"] == 1, status
    assert "Done: 1 imported" in client.get(f"/partials/import/{job_id}").text
    state = services_of(client.app)
    with state.sessions() as session:
        activity = session.scalars(select(Activity)).one()
        assert activity.source == "file" and activity.sport_type == "Ride"
        streams = session.get(ActivityStreams, activity.id)
        assert streams is not None and len(streams.streams["watts"]) == 900
        athlete_id = session.scalars(select(Athlete.id)).one()
    assert activity.athlete_id == athlete_id
    assert uploads(isolated_settings) == []  # the upload is deleted once imported
    # The activity page reads the stored streams: no Strava call for an imported activity.
    shown = client.get(f"/activities/{activity.id}")
    assert shown.status_code == 200
    # A file of the athlete's own is not on Strava as far as fitcoach knows: no link there.
    assert "View on Strava" not in shown.text and "strava.com/activities" not in shown.text
    with TestClient(client.app) as stranger:
        assert stranger.get(f"/api/imports/{job_id}").status_code == 401


def test_an_archive_upload_is_imported(client: TestClient, tmp_path: Path) -> None:
    items = list(archive_items(12, START))
    archive = write_archive(tmp_path / "export_1.zip", items).read_bytes()
    response = client.post(
        "/import",
        data={"csrf": csrf(client)},
        files={"file": ("export_1.zip", archive, "application/zip")},
    )
    assert response.status_code == 200
    assert "12 imported" in response.text and "covers activities up to" in response.text


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("holiday.jpg", b"\xff\xd8\xff\xe0", 400, "not a FIT, GPX or TCX file"),
        ("big.fit", b"\0" * (3 * 1024 * 1024), 413, "larger than 2 MB"),
        ("empty.gpx", b"", 400, "empty"),
    ],
)
def test_refused_uploads_say_why_and_leave_nothing(
    client: TestClient,
    isolated_settings: Path,
    name: str,
    content: bytes,
    status: int,
    words: str,
) -> None:
    response = client.post("/import", data={"csrf": csrf(client)}, files={"file": (name, content)})
    assert response.status_code == status and words in response.text
    assert uploads(isolated_settings) == []


def test_uploads_need_the_csrf_token_before_the_file(
    client: TestClient, isolated_settings: Path
) -> None:
    content = fit_file(ride(START, 60))
    response = client.post("/import", files={"file": ("ride.fit", content)})
    assert response.status_code == 403
    response = client.post(
        "/import", data={"csrf": "forged"}, files={"file": ("ride.fit", content)}
    )
    assert response.status_code == 403
    assert uploads(isolated_settings) == []
    with TestClient(client.app) as stranger:
        assert stranger.get("/import").status_code == 401


def test_several_files_in_one_upload_and_a_broken_one_named_as_the_athlete_named_it(
    client: TestClient, isolated_settings: Path
) -> None:
    response = client.post(
        "/import",
        data={"csrf": csrf(client)},
        files=[
            ("file", ("monday.fit", fit_file(ride(START, 600)))),
            ("file", ("tuesday.fit", fit_file(ride(START.replace(day=2), 700)))),
            ("file", ("morning-run.gpx", b"<gpx><trk><trkseg><trkpt")),
        ],
    )
    assert response.status_code == 200
    page = response.text
    # One job per file, each under the athlete's own file name.
    assert page.count("Done: 1 imported") == 2
    assert "<h3>monday.fit</h3>" in page and "<h3>tuesday.fit</h3>" in page
    assert "<strong>morning-run.gpx</strong>: the GPX file is damaged or cut short" in page
    # The parser's own words only behind a disclosure.
    reader = page.split("<summary>What the file reader said</summary>")
    assert len(reader) == 2 and "Start Tag trkpt" in reader[1].split("</details>")[0]
    assert "Start Tag trkpt" not in reader[0]
    with services_of(client.app).sessions() as session:
        stored = session.scalars(select(Activity)).all()
        assert len(stored) == 2
    # Each finished import links to the activity it stored.
    for activity in stored:
        assert f'<a href="/activities/{activity.id}">' in page
    assert uploads(isolated_settings) == []
