"""Reading FIT, GPX and TCX files written by the tests: streams, summaries, and every way a
file can be wrong, each reported with the file's name."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fitcoach.coach import normalized_power
from fitcoach.imports.errors import CorruptFile, TooLarge, UnsafeArchive, UnsupportedFile
from fitcoach.imports.parsing.formats import read_activity
from fitcoach.imports.parsing.limits import Limits
from tests.imports.builders import fit_file, gpx_file, ride, run, swim, tcx_file

START = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
LIMITS = Limits()


def test_fit_ride_keeps_power_heart_rate_speed_altitude_cadence() -> None:
    workout = ride(START, 3600)
    [activity] = read_activity("ride.fit", fit_file(workout), LIMITS)
    assert activity.sport_type == "Ride"
    assert activity.start == START and activity.utc_offset_s == 3600
    assert activity.elapsed_s == 3599 and activity.moving_s == 3599
    assert activity.distance_m == pytest.approx(sum(workout.speed), abs=1)
    streams = activity.streams
    assert {"time", "watts", "heartrate", "cadence", "altitude", "distance"} <= set(streams)
    assert {"velocity_smooth", "grade_smooth"} <= set(streams)
    assert len({len(values) for values in streams.values()}) == 1 == len(streams["time"]) // 3600
    assert streams["watts"] == workout.power
    assert streams["heartrate"] == workout.heart_rate
    # True normalized power from the 1 Hz stream, not an average.
    expected = normalized_power(workout.power or [], time=list(range(3600)))
    assert activity.weighted_average_watts == pytest.approx(expected, abs=0.1)
    assert activity.weighted_average_watts > (activity.average_watts or 0) + 5
    assert activity.device == "garmin edge_530"


def test_fit_swim_has_distance_and_heart_rate_but_no_gps() -> None:
    [activity] = read_activity("swim.fit.gz", gzip.compress(fit_file(swim(START))), LIMITS)
    assert activity.sport_type == "Swim"
    assert activity.distance_m == pytest.approx(1800 * 1.05, abs=1)
    assert "heartrate" in activity.streams and "watts" not in activity.streams
    assert activity.average_heartrate is not None and 128 <= activity.average_heartrate <= 132


def test_gpx_run_with_heart_rate_extensions() -> None:
    workout = run(START, 2700)
    [activity] = read_activity("run.gpx", gpx_file(workout), LIMITS)
    assert activity.sport_type == "Run" and activity.name == "Lunch Run"
    assert activity.streams["heartrate"] == workout.heart_rate
    assert activity.streams["cadence"][0] == 86
    # Distance from the track's coordinates: within 1 % of what was run.
    assert activity.distance_m == pytest.approx(sum(workout.speed), rel=0.01)
    assert activity.average_speed == pytest.approx(3.2, abs=0.1)


def test_tcx_ride_with_power_extension_gzipped() -> None:
    workout = ride(START, 1800)
    data = gzip.compress(tcx_file(workout))
    [activity] = read_activity("ride.tcx.gz", data, LIMITS)
    assert activity.sport_type == "Ride"
    assert activity.streams["watts"] == workout.power
    assert activity.moving_s == 1799


@pytest.mark.parametrize(
    ("name", "data", "error", "words"),
    [
        ("empty.fit", b"", CorruptFile, "empty"),
        ("notes.txt", b"hello", UnsupportedFile, "not a supported file type"),
        ("photo.fit", b"\xff\xd8\xff\xe0" + b"\0" * 100, CorruptFile, "not a FIT file"),
        ("run.gpx", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, CorruptFile, "not a GPX file"),
        ("run.gpx", b"<gpx><trk><trkseg><trkpt", CorruptFile, "damaged or cut short"),
        ("run.gpx", b'<gpx version="1.1"></gpx>', CorruptFile, "no timed track points"),
        ("ride.tcx", b"<TrainingCenterDatabase/>", CorruptFile, "no activity"),
        ("ride.fit.gz", b"\x1f\x8b\x08\x00garbage", CorruptFile, "gzip"),
    ],
)
def test_bad_files_are_reported_by_name(
    name: str, data: bytes, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words) as raised:
        read_activity(name, data, LIMITS)
    assert str(raised.value).startswith(name)


def test_truncated_and_altered_fit_files_are_corrupt() -> None:
    data = fit_file(ride(START, 600))
    with pytest.raises(CorruptFile, match="truncated"):
        read_activity("cut.fit", data[: len(data) // 2], LIMITS)
    altered = bytearray(data)
    altered[-1] ^= 0x01  # the file's checksum no longer matches its content
    with pytest.raises(CorruptFile, match="checksum"):
        read_activity("flipped.fit", bytes(altered), LIMITS)
    altered = bytearray(data)
    altered[5000] ^= 0x01  # a record header: the decoder loses its way
    with pytest.raises(CorruptFile, match=r"flipped\.fit"):
        read_activity("flipped.fit", bytes(altered), LIMITS)
    with pytest.raises(CorruptFile, match="truncated"):
        read_activity("cut.fit.gz", gzip.compress(data)[:-20], LIMITS)


def test_xml_with_entities_is_refused_before_parsing() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><gpx>&b;</gpx>'
    )
    with pytest.raises(UnsafeArchive, match="document type declaration"):
        read_activity("laughs.gpx", bomb, LIMITS)
    external = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><gpx>&e;</gpx>'
    with pytest.raises(UnsafeArchive):
        read_activity("xxe.tcx", external, LIMITS)


def test_gzip_bombs_and_oversized_files_stop_early() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros in ~50 kB
    with pytest.raises(UnsafeArchive, match="decompression bomb"):
        read_activity("bomb.fit.gz", bomb, LIMITS)
    small = Limits(max_file_bytes=10_000, ratio_from_bytes=10**9)
    with pytest.raises(TooLarge, match="larger than"):
        read_activity("big.fit", fit_file(ride(START, 600)), small)
    with pytest.raises(TooLarge, match="larger than"):
        read_activity("big.fit.gz", gzip.compress(fit_file(ride(START, 600))), small)


@pytest.mark.parametrize(
    ("lat", "lng", "when", "offset_h"),
    [
        # Cape Town, UTC+2 all year, though its longitude's solar zone is +1.
        (-33.92, 18.42, START, 2),
        # Geneva in summer (UTC+2) and in winter (UTC+1).
        (46.2, 6.14, START, 2),
        (46.2, 6.14, datetime(2024, 1, 10, 7, 0, tzinfo=UTC), 1),
        # Adelaide: a half-hour zone with summer time (UTC+10:30 in January).
        (-34.93, 138.6, datetime(2024, 1, 10, 7, 0, tzinfo=UTC), 10.5),
    ],
)
def test_gpx_and_tcx_local_time_comes_from_the_start_positions_time_zone(
    lat: float, lng: float, when: datetime, offset_h: float
) -> None:
    workout = replace(run(when, 600), lat0=lat, lng0=lng)
    for name, data in (("run.gpx", gpx_file(workout)), ("run.tcx", tcx_file(workout))):
        [activity] = read_activity(name, data, LIMITS)
        assert activity.utc_offset_s == offset_h * 3600, name
        assert activity.start_local == when.replace(tzinfo=None).replace(tzinfo=UTC) + timedelta(
            hours=offset_h
        )
