"""Laps from files: FIT lap messages and TCX ``Lap`` elements, in Strava's lap shape, on
the stored document (the activity page shows them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fitcoach.dashboard.laps import activity_laps
from fitcoach.imports.parsing.formats import read_activity
from fitcoach.imports.parsing.limits import Limits

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

CORPUS = Path(__file__).resolve().parents[1] / "files" / "real"
NOW = datetime(2026, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "laps"),
    [
        ("fit/garmin-edge-500__ride-hr-cadence-laps.fit", 9),  # MANIFEST.csv: laps=9
        ("tcx/garmin-forerunner-410__run-10-laps.tcx", 10),
        ("tcx/garmin-edge-1000__ride-power-laps.tcx", 5),
    ],
)
def test_the_laps_add_up_to_the_activity(name: str, laps: int) -> None:
    (activity,) = read_activity(name, (CORPUS / name).read_bytes(), Limits(), now=NOW)
    assert [lap["lap_index"] for lap in activity.laps] == list(range(1, laps + 1))
    timer = sum(lap["moving_time"] or 0 for lap in activity.laps)
    distance = sum(lap["distance"] or 0 for lap in activity.laps)
    assert abs(timer - activity.moving_s) <= max(2, 0.01 * activity.moving_s)
    assert abs(distance - activity.distance_m) <= 0.01 * activity.distance_m
    shown = activity_laps({"laps": activity.laps}, activity.sport_type)
    assert shown is not None and len(shown.rows) == laps
    assert {"seconds", "distance_m", "average_speed"} <= shown.columns


def test_lap_rows_on_the_page() -> None:
    strava = [  # Strava's DetailedActivity laps (a run: cadence per leg)
        {"moving_time": 240, "elapsed_time": 250, "distance": 1000.0, "average_speed": 4.17,
         "average_cadence": 88.0, "average_heartrate": 160.0},
        {"moving_time": 90, "elapsed_time": 90, "distance": 200.0, "average_speed": 2.22,
         "average_cadence": 80.0, "average_heartrate": 150.0},
    ]  # fmt: skip
    laps = activity_laps({"laps": strava}, "Run")
    assert laps is not None and laps.cadence_unit == "spm"
    assert [row.cadence for row in laps.rows] == [176.0, 160.0]
    assert "average_watts" not in laps.columns and "average_heartrate" in laps.columns
    # One lap, none, or a document that is not Strava's shape: no table.
    assert activity_laps({"laps": strava[:1]}, "Run") is None
    assert activity_laps({}, "Run") is None
    assert activity_laps({"laps": "twelve"}, "Run") is None
    assert activity_laps({"laps": [{"distance": -5, "moving_time": "x"}, 7]}, "Ride") is None
