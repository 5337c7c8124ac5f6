"""Thresholds from the athlete's own files: rides with a power meter imported into an
account with no FTP get one estimated from the stored curves (dated from the first of
them, with its source shown), and are scored from power rather than heart rate."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.activities.curves import POWER
from fitcoach.coach.thresholds import TWENTY_MIN_FACTOR
from fitcoach.models import Activity, ActivityCurve, LoadRecompute, ThresholdEntry
from tests.accounts.test_password_accounts import csrf, make_site, sign_up
from tests.conftest import RunningServer, services_of

REAL = Path(__file__).parents[1] / "files" / "real" / "fit"
# Indoor rides with power and heart rate, recorded years apart; uploaded newest first, so
# the older one moves the estimate's first day back.
RIDES = ("wahoo-elemnt-bolt__indoor-ride-power.fit", "garmin-edge-800__indoor-trainer-power.fit")


def test_power_files_bring_an_ftp_and_are_scored_from_power(
    sqlite_url: URL, simulator: RunningServer, isolated_settings: Path
) -> None:
    site = make_site(sqlite_url, simulator)
    client = site.browser()
    assert sign_up(client) == 303
    for name in RIDES:
        answer = client.post(
            "/import",
            data={"csrf": csrf(client, "/import")},
            files={"file": (name, (REAL / name).read_bytes())},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        job = int(answer.headers["location"].split("job=")[1])
        assert client.get(f"/api/imports/{job}").json()["status"] == "done"

    with services_of(site.app).sessions() as session:
        rides = session.execute(select(Activity.start_day, Activity.load_method)).all()
        curves = session.scalars(select(ActivityCurve.points).where(ActivityCurve.kind == POWER))
        best = max(value for points in curves for key, value in points if key == 1200)
        entries = session.scalars(select(ThresholdEntry)).all()
        progress = session.scalars(select(LoadRecompute)).one()
    assert len(rides) == len(RIDES)
    # One FTP, 95 % of the best 20 minutes of either file, from the older ride's day on.
    assert [(e.kind, e.effective_from) for e in entries] == [("ftp", min(d for d, _ in rides))]
    assert entries[0].value == best * TWENTY_MIN_FACTOR
    assert entries[0].source.startswith("estimate from your files: best 20-min power")
    # Every ride is scored from its power, none from heart rate.
    assert all(method is not None and "power" in method for _, method in rides), rides
    assert progress.finished_at is not None and progress.done == progress.total == len(RIDES)
    page = client.get("/settings").text
    assert f"{best * TWENTY_MIN_FACTOR:.0f} W" in page
    assert "estimate from your files: best 20-min power" in page
