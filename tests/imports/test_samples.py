"""The sample files the README and the demo offer (``samples/``) import into a new
account without Strava: each one an activity with a training load, on the dashboard."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.models import Activity
from tests.accounts.test_password_accounts import csrf, make_site, sign_up
from tests.conftest import RunningServer, services_of

SAMPLES = Path(__file__).parents[2] / "samples"


def test_the_sample_files_import_into_a_new_account(
    sqlite_url: URL, simulator: RunningServer, isolated_settings: Path
) -> None:
    site = make_site(sqlite_url, simulator)
    client = site.browser()
    assert sign_up(client) == 303
    files = sorted(path for path in SAMPLES.iterdir() if path.suffix in (".fit", ".tcx"))
    assert len(files) == 4
    for path in files:
        answer = client.post(
            "/import",
            data={"csrf": csrf(client, "/import")},
            files={"file": (path.name, path.read_bytes())},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        job = int(answer.headers["location"].split("job=")[1])
        status = client.get(f"/api/imports/{job}").json()
        assert (status["status"], status["imported"]) == ("done", 1), (path.name, status)
    with services_of(site.app).sessions() as session:
        rows = session.execute(select(Activity.sport_type, Activity.load, Activity.source)).all()
    assert sorted(sport for sport, _, _ in rows) == ["Ride", "Ride", "Run", "Run"]
    assert all(load and load > 0 and source == "file" for _, load, source in rows), rows
    assert client.get("/").status_code == 200
