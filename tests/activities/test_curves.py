"""Best-effort curves: computed once when streams are stored (own files, and Strava's
streams on first view), equal to a plain rolling mean over the resampled stream (1 W,
1 bpm) and to a plain search for the best time over each distance (1 s per km); merged
per range with the activity each best came from; filled later for older activities."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import URL

from fitcoach.activities.curves import BY_DURATION
from fitcoach.cli import main
from fitcoach.coach._samples import regular_samples
from fitcoach.coach.curves import DURATIONS_S
from fitcoach.core.db import session_factory, transaction
from fitcoach.core.settings import load_settings
from fitcoach.models import Activity, ActivityCurve, ActivityStreams, Athlete
from fitcoach.startup import prepare_database
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site
from tests.imports.builders import fit_file, ride, run

REAL = Path(__file__).parents[1] / "files" / "real"
REAL_FILES = (
    "fit/wahoo-elemnt__ride-power.fit",
    "fit/garmin-edge-810__ride-vector-power.fit",
    "fit/garmin-forerunner-110__run-laps.fit",
    "fit/strava-android-app__run.fit",
)
STREAM_OF = {"power": "watts", "heart_rate": "heartrate"}


def rolling_best(values: Any, time: Any, seconds: int) -> float:
    """The best mean over ``seconds`` by a plain rolling mean of the 1 s stream."""
    x = regular_samples(values, "values", time=time)
    return float(np.max(np.convolve(x, np.ones(seconds) / seconds, mode="valid")))


def plain_best_time(distance: list[float], time: list[float], target: float) -> float | None:
    """The shortest time over ``target`` metres, one start sample at a time (two pointers),
    the arrival interpolated inside the sample where the distance is reached."""
    pairs = [(d, t) for d, t in zip(distance, time, strict=True) if d is not None and t is not None]
    d = list(np.maximum.accumulate([p[0] for p in pairs]))
    t = [p[1] for p in pairs]
    best, j = None, 0
    for i in range(len(d)):
        j = max(j, i + 1)
        while j < len(d) and d[j] < d[i] + target:
            j += 1
        if j >= len(d):
            break
        span = d[j] - d[j - 1]
        share = (d[i] + target - d[j - 1]) / span if span > 0 else 1.0
        elapsed = t[j - 1] + share * (t[j] - t[j - 1]) - t[i]
        if elapsed > 0 and (best is None or elapsed < best):
            best = elapsed
    return best


def check_against_plain(kind: str, points: list[list[float]], streams: dict[str, Any]) -> int:
    """Every stored point against the plain computation; how many were checked."""
    if kind in BY_DURATION:
        values, time = streams[STREAM_OF[kind]], streams.get("time") or None
        length = len(regular_samples(values, "values", time=time))
        assert [p[0] for p in points] == [d for d in DURATIONS_S if d <= length]
        for seconds, value in points:
            assert abs(value - rolling_best(values, time, int(seconds))) <= 1.0, (kind, seconds)
        return len(points)
    for metres, seconds in points:
        plain = plain_best_time(streams["distance"], streams["time"], metres)
        assert plain is not None
        assert abs(seconds - plain) / (metres / 1000) <= 1.0, (kind, metres)
    return len(points)


def test_file_imports_store_curves_equal_to_plain_computations(tmp_path: Path) -> None:
    engine = prepare_database(load_settings())
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.add(Athlete(id=77, firstname="Curves"))
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    (tmp_path / "generated-ride.fit").write_bytes(fit_file(ride(start, seconds=2400)))
    (tmp_path / "generated-run.fit").write_bytes(fit_file(run(start + timedelta(days=1))))
    for name in REAL_FILES:
        shutil.copy(REAL / name, tmp_path / Path(name).name)
    assert main(["import", str(tmp_path), "--athlete", "77"]) == 0
    with sessions() as session:
        stored = session.execute(
            select(
                ActivityCurve.activity_id,
                ActivityCurve.kind,
                ActivityCurve.points,
                ActivityStreams.streams,
            ).join(ActivityStreams, ActivityStreams.activity_id == ActivityCurve.activity_id)
        ).all()
    kinds = [kind for _, kind, _, _ in stored]
    assert kinds.count("power") >= 3 and kinds.count("run_pace") >= 2
    assert (
        sum(check_against_plain(kind, points, streams) for _, kind, points, streams in stored) > 60
    )

    # `fitcoach curves fill` computes the same curves for activities stored without them.
    with transaction(sessions) as session:
        session.execute(delete(ActivityCurve))
    assert main(["curves", "fill"]) == 0
    with sessions() as session:
        again = {
            (row.activity_id, row.kind): row.points
            for row in session.execute(
                select(ActivityCurve.activity_id, ActivityCurve.kind, ActivityCurve.points)
            )
        }
    assert again.keys() == {(a, k) for a, k, _, _ in stored}
    for activity_id, kind, points, _ in stored:
        assert np.allclose(again[(activity_id, kind)], points, rtol=1e-9)
    engine.dispose()


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Any:
    yield from logged_in_site(sqlite_url, simulator)


def test_strava_streams_give_curves_merged_per_range(site: Site) -> None:
    today = site.today
    with site.state.sessions() as session:
        rides = list(
            session.scalars(
                select(Activity)
                .where(
                    Activity.athlete_id == site.athlete_id,
                    # Estimated watts (no power meter) come without a power stream.
                    Activity.device_watts.is_(True),
                )
                .order_by(Activity.start_date.desc())
            )
        )
    recent = rides[0]
    old = next(a for a in rides if (today - a.start_day).days > 120)
    # Opening an activity's page stores its streams (one Strava call) and its curves.
    for activity in (recent, old):
        assert site.client.get(f"/activities/{activity.id}", headers=HTML).status_code == 200
    with site.state.sessions() as session:
        streams = {
            a.id: session.get(ActivityStreams, a.id).streams  # type: ignore[union-attr]
            for a in (recent, old)
        }
    near = site.client.get("/api/curves/power", params={"range": "90d"}).json()["points"]
    assert {p["activity_id"] for p in near} == {recent.id}
    assert check_against_plain(
        "power", [[p["duration_s"], p["value"]] for p in near], streams[recent.id]
    )
    every = site.client.get("/api/curves/power", params={"range": "all"}).json()["points"]
    for point in every:
        seconds = point["duration_s"]
        candidates = {
            a.id: rolling_best(streams[a.id]["watts"], streams[a.id]["time"], seconds)
            for a in (recent, old)
            if len(streams[a.id]["watts"]) >= seconds
        }
        winner = max(candidates, key=lambda key: candidates[key])
        assert abs(point["value"] - candidates[winner]) <= 1.0
        assert (
            point["activity_id"] == winner or abs(candidates[recent.id] - candidates[old.id]) <= 1.0
        )
        assert point["start_date"].endswith("+00:00")
    assert len(every) >= len(near)

    page = site.client.get("/curves", params={"range": "90d", "compare": "all"}, headers=HTML)
    assert page.status_code == 200
    assert page.text.count('<th scope="row">') == len(every)
    assert (
        f'href="/activities/{old.id}"' in page.text
        or f'href="/activities/{recent.id}"' in page.text
    )
    for bad, named in (
        ({"range": "2w"}, "'range'"),
        ({"sport": "ski"}, "'sport'"),
    ):
        answer = site.client.get("/api/curves/pace", params=bad)
        assert answer.status_code == 400 and named in answer.json()["error"]["reason"]
    assert site.client.get("/api/curves/speed").status_code == 400
