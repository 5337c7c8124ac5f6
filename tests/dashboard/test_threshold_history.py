"""Thresholds over time: critical power fitted to the stored power curves' 2–20 minutes,
an FTP estimate per month from that month's best 20 minutes, and a change proposed (never
applied) when the newest estimate is more than 3 % from the athlete's setting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import URL

from fitcoach.core.db import transaction
from fitcoach.models import (
    Activity,
    ActivityCurve,
    Athlete,
    DeclinedFtp,
    DeclinedThreshold,
    LoadRecompute,
    ThresholdEntry,
)
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(sqlite_url, simulator)


def test_critical_power_and_monthly_ftp_from_the_stored_curves(site: Site) -> None:
    with site.state.sessions() as session:
        rides = list(
            session.scalars(
                select(Activity)
                .where(Activity.athlete_id == site.athlete_id, Activity.average_watts.is_not(None))
                .order_by(Activity.start_date.desc())
                .limit(6)
            )
        )
    for ride in rides:  # each page view stores the ride's streams and curves
        assert site.client.get(f"/activities/{ride.id}", headers=HTML).status_code == 200
    points = site.client.get("/api/curves/power", params={"range": "90d"}).json()["points"]
    fit = [(p["duration_s"], p["value"]) for p in points if 120 <= p["duration_s"] <= 1200]
    page = site.client.get("/settings/thresholds", headers=HTML)
    assert page.status_code == 200
    assert len(fit) >= 3
    slope, intercept = np.polyfit([t for t, _ in fit], [t * w for t, w in fit], 1)
    shown = re.search(r'id="critical-power">([\d,]+) ', page.text)
    if slope > 0 and intercept >= 0:
        assert shown is not None
        assert abs(float(shown.group(1).replace(",", "")) - slope) <= 0.5
    else:  # efforts that are not maximal: no fit, said in words
        assert shown is None and "Not enough to fit" in page.text

    # Each month's estimate: 95 % of that month's best 20 minutes, from the stored curves.
    with site.state.sessions() as session:
        stored = session.execute(
            select(ActivityCurve.start_date, ActivityCurve.points).where(
                ActivityCurve.athlete_id == site.athlete_id, ActivityCurve.kind == "power"
            )
        ).all()
    best: dict[str, float] = {}
    for start, curve in stored:
        twenty = [value for key, value in curve if key == 1200]
        month = start.strftime("%B %Y")
        if twenty:
            best[month] = max(best.get(month, 0.0), twenty[0])
    assert best
    for month, watts in best.items():
        row = re.search(rf'<th scope="row">{month}</th><td>([\d,]+) W</td>', page.text)
        assert row is not None, month
        assert abs(float(row.group(1).replace(",", "")) - 0.95 * watts) <= 0.5
    ftp = 0.95 * best[max(rides, key=lambda r: r.start_date).start_date.strftime("%B %Y")]

    # A setting more than 3 % away gets a proposal; it changes nothing by itself.
    setting = round(ftp * 1.10)
    with transaction(site.state.sessions) as session:
        athlete = session.get(Athlete, site.athlete_id)
        assert athlete is not None
        athlete.ftp_watts = setting
    proposed = site.client.get("/settings/thresholds", headers=HTML).text
    assert 'id="proposal"' in proposed and f"{setting} W" in proposed

    def ftp_of() -> tuple[float | None, float | None]:
        with site.state.sessions() as session:
            athlete = session.get(Athlete, site.athlete_id)
            declined = session.get(DeclinedFtp, site.athlete_id)
            assert athlete is not None
            return athlete.ftp_watts, None if declined is None else declined.watts

    def decide(decision: str) -> int:
        answer = site.client.post(
            "/settings/thresholds/ftp",
            data={"csrf": site.csrf(), "decision": decision},
            headers=HTML,
            follow_redirects=False,
        )
        return answer.status_code

    assert decide("maybe") == 400 and ftp_of() == (setting, None)  # refused, nothing changed
    recomputed = len(site.recomputed)
    assert decide("decline") == 303
    assert ftp_of() == (setting, round(ftp))
    page = site.client.get("/settings/thresholds", headers=HTML).text
    assert 'id="proposal"' not in page and "will not be proposed again" in page
    assert decide("decline") == 400  # nothing left to decide
    assert len(site.recomputed) == recomputed

    with transaction(site.state.sessions) as session:
        session.execute(delete(DeclinedFtp))
    assert decide("accept") == 303
    assert ftp_of() == (round(ftp), None)
    assert site.recomputed[-1] == site.athlete_id  # loads recomputed with the new FTP
    page = site.client.get("/settings/thresholds", headers=HTML).text
    assert 'id="proposal"' not in page and f"Your FTP is now {round(ftp)} W, from today" in page
    # Dated: the accepted estimate holds from today, the earlier setting before it.
    table = page[page.index('id="dated-thresholds"') :]
    assert f"{round(ftp)} W" in table and "accepted estimate" in table
    assert site.today.isoformat() in table


def test_threshold_heart_rate_is_proposed_like_ftp(site: Site) -> None:
    with site.state.sessions() as session:
        rides = list(
            session.scalars(
                select(Activity.id)
                .where(Activity.athlete_id == site.athlete_id)
                .order_by(Activity.start_date.desc())
                .limit(4)
            )
        )
    for ride in rides:  # each page view stores the activity's streams and curves
        assert site.client.get(f"/activities/{ride}", headers=HTML).status_code == 200
    since = site.state.clock() - timedelta(days=90)
    with transaction(site.state.sessions) as session:
        curves = session.scalars(
            select(ActivityCurve.points).where(
                ActivityCurve.kind == "heart_rate", ActivityCurve.start_date >= since
            )
        ).all()
        athlete = session.get(Athlete, site.athlete_id)
        assert athlete is not None
        athlete.threshold_hr = 100.0  # far from any estimate
    best = max(value for points in curves for key, value in points if key == 1200)
    lthr = round(best * 0.95)

    def decide(kind: str, decision: str) -> int:
        answer = site.client.post(
            f"/settings/thresholds/{kind}",
            data={"csrf": site.csrf(), "decision": decision},
            headers=HTML,
            follow_redirects=False,
        )
        return answer.status_code

    page = site.client.get("/settings/thresholds", headers=HTML).text
    assert 'id="proposal-threshold_hr"' in page and f"{lthr} bpm" in page
    assert decide("max_hr", "accept") == 400 and decide("threshold_hr", "maybe") == 400
    assert decide("threshold_hr", "decline") == 303
    page = site.client.get("/settings/thresholds", headers=HTML).text
    assert 'id="proposal-threshold_hr"' not in page and "will not be proposed again" in page
    assert decide("threshold_hr", "decline") == 400  # nothing left to decide

    with transaction(site.state.sessions) as session:
        session.execute(delete(DeclinedThreshold))
    assert decide("threshold_hr", "accept") == 303
    today = site.today
    with site.state.sessions() as session:
        athlete = session.get(Athlete, site.athlete_id)
        assert athlete is not None and athlete.threshold_hr == lthr
        entries = session.scalars(
            select(ThresholdEntry).where(ThresholdEntry.kind == "threshold_hr")
        ).all()
        # The old setting still scores the days before today; the estimate from today.
        assert [(e.effective_from, e.value, e.source) for e in entries] == [
            (date(1900, 1, 1), 100.0, "setting"),
            (today, lthr, "accepted estimate"),
        ]
        recompute = session.get(LoadRecompute, site.athlete_id)
        assert recompute is not None and recompute.since == today
    assert site.recomputed[-1] == site.athlete_id
