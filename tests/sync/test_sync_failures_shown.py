"""What the athlete and the operator see of a sync that failed or of an activity that
could not be stored: the reason in words, on the dashboard and on /admin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from fitcoach.sync.activities import incremental_sync, record_failure
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site, sim

ADMIN_TOKEN = "operate-me"


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(sqlite_url, simulator, admin_token=ADMIN_TOKEN)


def test_a_skipped_activity_and_a_failed_sync_are_shown_with_their_reasons(site: Site) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    broken = sim(
        site.simulator,
        "POST",
        f"/athletes/{site.strava_id}/activities",
        raw={
            "name": "Watch gone wild",
            "sport_type": "Run",
            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "moving_time": 3600,
            "elapsed_time": 2**40,
            "distance": 10000.0,
        },
    )
    incremental_sync(site.sync(), site.athlete_id, 3)
    outage = OperationalError("SELECT 1", {}, Exception("connection refused"))
    record_failure(site.sync(), site.athlete_id, outage)

    page = site.client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "Activities from Strava that could not be stored" in page.text
    assert f"https://www.strava.com/activities/{broken['id']}" in page.text
    assert "Watch gone wild" in page.text and "elapsed_time" in page.text
    assert "The last attempt to fetch your Strava activities failed" in page.text
    assert "The database was unavailable (connection refused)" in page.text

    admin = site.client.get("/admin", headers={"Authorization": f"Bearer {ADMIN_TOKEN}", **HTML})
    assert admin.status_code == 200
    assert "Data conflicts" in admin.text and str(broken["id"]) in admin.text
    assert "out of range" in admin.text
    assert "The database was unavailable" in admin.text  # the sync failures' table
