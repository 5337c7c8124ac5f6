"""The general rules of docs/files.md as properties: message order, backward times, zero
channels and values out of range, over files hypothesis writes."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitcoach.imports.errors import CorruptFile
from fitcoach.imports.parsing.formats import read_activity
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.parsing.summary import FileActivity
from tests.imports.builders import FitMessage, fit_bytes, fit_parts, ride, tcx_file

START = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
WORKOUT = ride(START, 240)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def summary(activity: FileActivity) -> tuple[object, ...]:
    return (
        activity.sport_type,
        activity.start,
        activity.elapsed_s,
        activity.moving_s,
        activity.distance_m,
        activity.elevation_gain_m,
        activity.average_heartrate,
        activity.max_heartrate,
        activity.average_watts,
    )


EXPECTED = (
    "Ride",
    START,
    239,
    239,
    round(WORKOUT.distance[-1], 1),
    123.0,  # the session's own ascent
    float(round(sum(WORKOUT.heart_rate or []) / 240)),
    float(max(WORKOUT.heart_rate or [])),
    float(round(sum(WORKOUT.power or []) / 240)),
)


@FAST
@given(data=st.data(), sport_message=st.booleans())
def test_fit_summary_does_not_depend_on_message_order(
    data: st.DataObject, sport_message: bool
) -> None:
    """sport, session, lap and activity messages anywhere among the records (before,
    between, after them, in any order among themselves) give the same activity."""
    parts = fit_parts(WORKOUT, sport_message=sport_message, averages=True)
    order = data.draw(st.permutations(parts.summary))
    slots = data.draw(
        st.lists(st.integers(0, len(parts.records)), min_size=len(order), max_size=len(order))
    )
    placed: list[tuple[int, int, FitMessage]] = [
        (slot, rank, message) for rank, (slot, message) in enumerate(zip(slots, order, strict=True))
    ]
    placed += [(index, len(order) + 1, record) for index, record in enumerate(parts.records)]
    messages = [*parts.head, *(message for _, _, message in sorted(placed, key=lambda p: p[:2]))]
    [activity] = read_activity("ride.fit", fit_bytes(messages), Limits())
    assert summary(activity) == EXPECTED


def haversine(points: list[tuple[float, float]]) -> float:
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in pairwise(points):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        total += 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, a)))
    return total


def gpx(points: list[tuple[str, str, str, str]]) -> bytes:
    """A GPX track of (lat, lon, seconds after START, extensions) points, in this order."""
    body = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><time>'
        f"{(START + timedelta(seconds=float(seconds))):%Y-%m-%dT%H:%M:%S}Z</time>"
        f"<extensions>{extensions}</extensions></trkpt>"
        for lat, lon, seconds, extensions in points
    )
    return (
        '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><type>9</type>'
        f"<trkseg>{body}</trkseg></trk></gpx>"
    ).encode()


steps = st.lists(
    st.tuples(st.floats(-0.002, 0.002), st.floats(-0.002, 0.002), st.integers(0, 4000)),
    min_size=2,
    max_size=60,
)


@FAST
@given(steps)
def test_gpx_distance_is_measured_in_file_order_whatever_the_times(
    moves: list[tuple[float, float, int]],
) -> None:
    lat, lon = 46.2, 6.1
    points: list[tuple[float, float]] = []
    rows = []
    for dlat, dlon, seconds in moves:
        lat, lon = lat + dlat, lon + dlon
        points.append((lat, lon))
        rows.append((repr(lat), repr(lon), str(seconds), ""))
    times = [seconds for _, _, seconds in moves]
    if max(times) == min(times):
        try:
            read_activity("track.gpx", gpx(rows), Limits())
        except CorruptFile as refused:
            assert "no duration" in refused.reason
            return
        raise AssertionError("a track of one time was stored")
    [activity] = read_activity("track.gpx", gpx(rows), Limits())
    assert math.isclose(activity.distance_m, haversine(points), rel_tol=1e-6, abs_tol=0.06)
    assert activity.elapsed_s == max(times) - min(times)
    backwards = any(b < a - 1 for a, b in pairwise(times))
    assert activity.time_reliable is not backwards
    if backwards:
        assert "velocity_smooth" not in activity.streams
        assert activity.moving_s == activity.elapsed_s


@FAST
@given(
    heart=st.lists(st.sampled_from([0, 0, 0, 140]), min_size=3, max_size=30),
    power=st.lists(st.sampled_from([0, 0, 0, 210]), min_size=3, max_size=30),
)
def test_channels_without_a_reading_are_dropped(heart: list[int], power: list[int]) -> None:
    """A channel of zeros is no channel: no stream, no average."""
    count = min(len(heart), len(power))
    rows = [
        ("46.2", f"{6.1 + i * 1e-4:.5f}", str(i), f"<hr>{heart[i]}</hr><power>{power[i]}</power>")
        for i in range(count)
    ]
    [activity] = read_activity("ride.gpx", gpx(rows), Limits())
    has_heart, has_power = any(heart[:count]), any(power[:count])
    assert ("heartrate" in activity.streams) is has_heart
    assert (activity.average_heartrate is not None) is has_heart
    assert ("watts" in activity.streams) is has_power
    assert (activity.average_watts is not None) is has_power
    if has_heart:
        assert activity.average_heartrate == 140.0  # its zeros were missing, not readings


any_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e300", "-1e300", "1e-300", "nan", "inf", "", "12abc", "9" * 400]),
    st.integers(-(10**6), 10**6).map(str),
)


@FAST
@given(st.lists(st.tuples(any_number, any_number, st.integers(0, 600), any_number, any_number)))
def test_values_out_of_range_never_crash_the_gpx_parser(
    points: list[tuple[str, str, int, str, str]],
) -> None:
    rows = [
        (lat, lon, str(seconds), f"<hr>{hr}</hr><power>{watts}</power>")
        for lat, lon, seconds, hr, watts in points
    ]
    try:
        activities = read_activity("track.gpx", gpx(rows), Limits())
    except CorruptFile as refused:
        assert refused.file == "track.gpx" and refused.reason
        return
    for activity in activities:
        assert 1 <= activity.elapsed_s <= 600 and activity.moving_s <= activity.elapsed_s
        assert math.isfinite(activity.distance_m) and activity.distance_m >= 0
        assert activity.utc_offset_s is None or abs(activity.utc_offset_s) <= 12 * 3600
        for value in activity.streams.get("watts", []):
            assert value is None or 0 <= value <= 3000
        for value in activity.streams.get("heartrate", []):
            assert value is None or 20 <= value <= 250


@FAST
@given(timer=any_number, distance=any_number)
def test_values_out_of_range_never_crash_the_tcx_parser(timer: str, distance: str) -> None:
    workout = ride(START, 120)
    lap = f"<TotalTimeSeconds>{timer}</TotalTimeSeconds><DistanceMeters>{distance}"
    tcx = re.sub(
        rb"<TotalTimeSeconds>[^<]*</TotalTimeSeconds><DistanceMeters>[^<]*",
        lap.encode(),
        tcx_file(workout),
        count=1,
    )
    try:
        [activity] = read_activity("ride.tcx", tcx, Limits())
    except CorruptFile as refused:
        assert refused.reason
        return
    assert 119 <= activity.elapsed_s <= 14 * 86400
    assert 0 <= activity.moving_s <= activity.elapsed_s
    assert 0 <= activity.distance_m <= 10_000_000
