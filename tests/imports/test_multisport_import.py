"""Importing files whose activities are several (multisport) or arrive twice in different
formats."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity, ImportedFile
from tests.imports.builders import Workout, multisport_fit, ride, run, swim
from tests.stores import Store

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # fitdecode's dev fields

REAL = Path(__file__).resolve().parents[1] / "files" / "real"
START = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


def transition(start: datetime, seconds: int) -> Workout:
    return Workout("transition", start, seconds, None, [150] * seconds, [1.5] * seconds)


def legs_of(store: Store, group: str) -> list[Activity]:
    with store.sessions() as session:
        query = (
            select(Activity).where(Activity.multisport_group == group).order_by(Activity.start_date)
        )
        return list(session.scalars(query))


def test_a_multisport_file_is_stored_as_its_legs_once(store: Store, tmp_path: Path) -> None:
    # Two short runs a minute apart, alike enough to be one activity were they two files.
    first = run(START, 40)
    between = transition(START + timedelta(seconds=40), 20)
    second = run(START + timedelta(seconds=60), 40)
    path = tmp_path / "brick.fit"
    path.write_bytes(multisport_fit([first, between, second]))
    group = hashlib.sha256(path.read_bytes()).hexdigest()

    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert (job.status, job.imported, job.duplicates, job.failed) == ("done", 3, 0, 0)
    legs = legs_of(store, group)
    assert [leg.sport_type for leg in legs] == ["Run", "Workout", "Run"]
    assert [leg.name for leg in legs] == ["Morning Run", "Transition", "Morning Run"]
    assert [leg.elapsed_time_s for leg in legs] == [39, 19, 39]
    assert len({leg.id for leg in legs}) == 3
    assert all(leg.strava_id is None and leg.claimed_strava_id is None for leg in legs)
    assert [leg.raw["fitcoach"]["leg"] for leg in legs] == [0, 1, 2]
    with store.sessions() as session:
        ledger = session.scalars(select(ImportedFile)).all()
    assert [(entry.sha256, entry.activity_id) for entry in ledger] == [(group, legs[0].id)]

    again = import_path(store.sessions, store.athlete_id, path, Limits())
    assert (again.imported, again.duplicates) == (0, 1)
    assert store.count() == 3


def test_a_real_triathlon_is_five_activities_of_one_group(store: Store, tmp_path: Path) -> None:
    name = "garmin-forerunner-920xt__triathlon-chained-headers.fit"
    path = tmp_path / name
    shutil.copy(REAL / "fit" / name, path)
    job = import_path(store.sessions, store.athlete_id, path, Limits())
    assert (job.status, job.imported, job.failed) == ("done", 5, 0)
    legs = legs_of(store, hashlib.sha256(path.read_bytes()).hexdigest())
    assert [leg.sport_type for leg in legs] == ["Swim", "Workout", "Ride", "Workout", "Run"]
    assert sum(leg.elapsed_time_s for leg in legs) == pytest.approx(9491, abs=3)
    assert all(leg.load is not None for leg in legs)
    assert store.count(Activity.multisport_group.is_(None)) == 0


def test_the_same_ride_from_a_fit_and_a_strava_gpx_is_stored_once(
    store: Store, tmp_path: Path
) -> None:
    # The watch's FIT file and Strava's GPX export of it (<type>1</type>).
    folder = tmp_path / "both"
    folder.mkdir()
    shutil.copy(REAL / "fit" / "garmin-forerunner-935__ride-laps.fit", folder / "a.fit")
    shutil.copy(REAL / "gpx" / "strava__ride-type-1.gpx", folder / "b.gpx")
    job = import_path(store.sessions, store.athlete_id, folder, Limits())
    assert (job.imported, job.duplicates, job.failed) == (1, 1, 0)
    assert store.count() == 1 and store.count(Activity.sport_type == "Ride") == 1


def test_a_swim_and_a_ride_of_one_file_keep_their_own_streams(store: Store, tmp_path: Path) -> None:
    legs = [swim(START, 300), transition(START + timedelta(seconds=300), 60)]
    legs.append(ride(START + timedelta(seconds=360), 600))
    path = tmp_path / "tri.fit"
    path.write_bytes(multisport_fit(legs))
    import_path(store.sessions, store.athlete_id, path, Limits())
    stored = legs_of(store, hashlib.sha256(path.read_bytes()).hexdigest())
    lengths = [len((store.streams_of(leg.id) or {}).get("time", [])) for leg in stored]
    assert lengths == [300, 60, 600]
    assert "watts" in (store.streams_of(stored[2].id) or {})
    assert "watts" not in (store.streams_of(stored[0].id) or {})
