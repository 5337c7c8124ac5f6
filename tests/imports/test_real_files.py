"""Every real recording of tests/files/real, through the parser, against an independent
reading of the file's own summary.

FIT files are read a second time with Garmin's own decoder (garmin-fit-sdk), which shares
no code with fitdecode; GPX and TCX files with lxml and a haversine written here. Each
parsed activity must agree with its file: elapsed and timer time within 1 % or 2 s,
distance within 1 %, the sport, average heart rate and power within 1 (docs/files.md,
"What is read"). Files that cannot be stored must be refused with a reason naming them,
and no file may crash the parser.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from garmin_fit_sdk import Decoder, Stream
from lxml import etree

from fitcoach.imports.errors import FilesError
from fitcoach.imports.parsing.formats import read_activity
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.parsing.summary import FileActivity

# fitdecode warns of every developer field it has no description for.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

CORPUS = Path(__file__).resolve().parents[1] / "files" / "real"
ROWS = list(csv.DictReader((CORPUS / "MANIFEST.csv").open(encoding="utf-8")))
FIT_EPOCH_S = 631065600
# After the corpus's newest file, so "in the future" means the same on any day.
NOW = datetime(2026, 12, 31, tzinfo=UTC)

# Files the rules of docs/files.md refuse beyond those MANIFEST.csv marks "corrupt:
# expected refusal", with words of the reason given.
REFUSED = {
    # Timestamps on the device's own clock, and time_created on it too: nothing places them.
    "fit/garmin-forerunner-70__run-relative-time-created.fit": "no valid time",
    "fit/garmin-forerunner-70__run-intervals-compressed-speed.fit": "no valid time",
    # fitdecode and Garmin's decoder both stop at an undefined message after the session:
    # 55 of the run's 60 minutes of records are unreadable.
    "fit/strava-android-app__run.fit": "malformed",
    "gpx/strava__route-no-times.gpx": "no timed track points",
    "gpx/mapmyfitness__route-no-times.gpx": "no timed track points",
    "gpx/strava__metadata-only.gpx": "no timed track points",
    "gpx/gpsbabel__invalid-1901-timestamps.gpx": "no valid time",
    "gpx/ultra-gps-logger__single-point.gpx": "no duration",
    "tcx/garmin-training-center__course.tcx": "no activity",
}

# The sport each file's own words name, as a Strava sport type.
FIT_SPORTS = {
    "cycling": "Ride",
    "running": "Run",
    "walking": "Walk",
    "swimming": "Swim",
    "rowing": "Rowing",
    "cross_country_skiing": "NordicSki",
    "transition": "Workout",
    "generic": "Workout",
    "training": "Workout",
    "fitness_equipment": "Workout",
}
FIT_SUB_SPORTS = {
    ("cycling", "virtual_activity"): "VirtualRide",
    ("cycling", "mountain"): "MountainBikeRide",
    ("training", "strength_training"): "WeightTraining",
    ("training", "yoga"): "Yoga",
    ("fitness_equipment", "indoor_rowing"): "Rowing",
}
XML_SPORTS = {
    "1": "Ride",
    "9": "Run",
    "16": "Swim",
    "cycling": "Ride",
    "running": "Run",
    "run": "Run",
    "biking": "Ride",
    "other": "Workout",
}


def refusal_expected(row: dict[str, str]) -> bool:
    return "expected refusal" in row["notes"] or row["file"] in REFUSED


@dataclass
class Expected:
    """One activity as the file's own summary describes it (None: the file is silent)."""

    sport: str
    start: float | None
    elapsed: float | None
    timer: float | None
    distance: float | None
    heart_rate: float | None
    watts: float | None


def content(row: dict[str, str]) -> bytes:
    data = (CORPUS / row["file"]).read_bytes()
    return gzip.decompress(data) if row["file"].endswith(".gz") else data


# --- FIT: Garmin's decoder ----------------------------------------------------------------


def fit_expected(data: bytes) -> list[Expected]:
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    messages, _ = decoder.read(
        convert_datetimes_to_dates=False,
        expand_components=False,
        expand_sub_fields=False,
        merge_heart_rates=False,
    )
    sessions = sorted(messages.get("session_mesgs", []), key=lambda s: s.get("start_time") or 0)
    return [fit_session(session) for session in sessions]


def fit_session(session: dict[str, Any]) -> Expected:
    sport, sub = session.get("sport"), session.get("sub_sport")
    elapsed, timer = session.get("total_elapsed_time"), session.get("total_timer_time")
    if elapsed is not None and timer is not None and timer > elapsed:
        elapsed, timer = timer, elapsed  # docs/files.md: the larger is the elapsed time
    start = session.get("start_time")
    return Expected(
        sport=FIT_SUB_SPORTS.get((sport, sub)) or FIT_SPORTS.get(str(sport), "Workout"),
        start=start + FIT_EPOCH_S if isinstance(start, int) and start >= 0x10000000 else None,
        elapsed=elapsed,
        timer=timer,
        distance=session.get("total_distance"),
        heart_rate=session.get("avg_heart_rate"),
        watts=session.get("avg_power"),
    )


# --- GPX and TCX: lxml and a haversine ------------------------------------------------------


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


def when(text: str | None) -> float | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    seconds = moment.timestamp()
    return seconds if seconds >= datetime(1990, 1, 1, tzinfo=UTC).timestamp() else None


def local(node: etree._Element) -> str:
    return node.tag.rsplit("}", 1)[-1].lower() if isinstance(node.tag, str) else ""


def mean_of(values: list[float], *, zero_is_reading: bool) -> float | None:
    """The readings' mean: a heart rate of 0 is no reading, a power of 0 is coasting."""
    values = [v for v in values if v > 0 or (zero_is_reading and v == 0)]
    return sum(values) / len(values) if values else None


def gpx_expected(data: bytes) -> list[Expected]:
    root = etree.fromstring(data)
    times: list[float] = []
    points: list[tuple[float, float]] = []
    heart: list[float] = []
    watts: list[float] = []
    kind = next((t.text for t in root.iter("{*}type") if t.text), None)
    for point in root.iter("{*}trkpt"):
        moment = when(point.findtext("{*}time"))
        if moment is None:
            continue
        times.append(moment)
        points.append((float(point.get("lat", "nan")), float(point.get("lon", "nan"))))
        found = {local(node): node.text for node in point.iter()}
        if hr := found.get("hr") or found.get("heartrate"):
            heart.append(float(hr))
        if power := found.get("power") or found.get("powerinwatts"):
            watts.append(float(power))
    return [
        Expected(
            sport=XML_SPORTS.get((kind or "").strip().lower(), "Workout"),
            start=min(times),
            elapsed=max(times) - min(times),
            timer=None,
            distance=haversine(points),
            heart_rate=mean_of(heart, zero_is_reading=False),
            watts=mean_of(watts, zero_is_reading=True),
        )
    ]


def tcx_expected(data: bytes) -> list[Expected]:
    root = etree.fromstring(data)
    return [tcx_activity(activity) for activity in root.iter("{*}Activity")]


def tcx_activity(activity: etree._Element) -> Expected:
    laps = activity.findall("{*}Lap")
    starts = [when(lap.get("StartTime")) for lap in laps]
    timers = [float(lap.findtext("{*}TotalTimeSeconds") or 0) for lap in laps]
    distances = [float(d) for lap in laps if (d := lap.findtext("{*}DistanceMeters"))]
    points = [when(tp.findtext("{*}Time")) for tp in activity.iter("{*}Trackpoint")]
    ends = [s + t for s, t in zip(starts, timers, strict=True) if s is not None]
    ends += [p for p in points if p is not None]
    start = starts[0] if starts else None
    heart = [
        (float(v), t)
        for lap, t in zip(laps, timers, strict=True)
        if (v := lap.findtext("{*}AverageHeartRateBpm/{*}Value"))
    ]
    weight = sum(t for _, t in heart)
    return Expected(
        sport=XML_SPORTS.get((activity.get("Sport") or "").lower(), "Workout"),
        start=start,
        elapsed=max(ends) - start if start is not None and ends else None,
        timer=sum(timers) if laps else None,
        distance=sum(distances) if distances else None,
        heart_rate=sum(v * t for v, t in heart) / weight if weight else None,
        watts=None,
    )


def expected_of(row: dict[str, str], data: bytes) -> list[Expected]:
    kind = row["format"].removesuffix(".gz")
    return {"fit": fit_expected, "gpx": gpx_expected, "tcx": tcx_expected}[kind](data)


# --- the comparison -------------------------------------------------------------------------


def close(ours: float, theirs: float, *, rel: float, abs_: float) -> bool:
    return abs(ours - theirs) <= max(abs_, rel * abs(theirs))


def disagreements(parsed: FileActivity, expected: Expected) -> Iterator[str]:
    if parsed.sport_type != expected.sport:
        yield f"sport {parsed.sport_type} != {expected.sport}"
    if expected.start is not None and abs(parsed.start.timestamp() - expected.start) > 2:
        yield f"start {parsed.start} != {datetime.fromtimestamp(expected.start, UTC)}"
    if expected.elapsed and not close(parsed.elapsed_s, expected.elapsed, rel=0.01, abs_=2):
        yield f"elapsed {parsed.elapsed_s} != {expected.elapsed}"
    if expected.timer and not close(parsed.moving_s, expected.timer, rel=0.01, abs_=2):
        yield f"timer {parsed.moving_s} != {expected.timer}"
    if expected.distance is not None and not close(
        parsed.distance_m, expected.distance, rel=0.01, abs_=1
    ):
        yield f"distance {parsed.distance_m} != {expected.distance}"
    for name, ours, theirs in (
        ("heart rate", parsed.average_heartrate, expected.heart_rate),
        ("power", parsed.average_watts, expected.watts),
    ):
        if theirs is None:
            continue
        if theirs == 0 and ours is not None:
            yield f"{name} {ours}: the file's average is 0, which is no reading"
        elif theirs > 0 and (ours is None or abs(ours - theirs) > 1):
            yield f"{name} {ours} != {theirs}"


def invariants(parsed: FileActivity) -> Iterator[str]:
    """What every stored activity satisfies, whatever its file."""
    if not 1 <= parsed.elapsed_s <= 14 * 86400 or not 0 <= parsed.moving_s <= parsed.elapsed_s:
        yield f"durations {parsed.elapsed_s} / {parsed.moving_s}"
    numbers = (parsed.distance_m, parsed.elevation_gain_m, parsed.average_speed or 0.0)
    if not all(math.isfinite(n) and n >= 0 for n in numbers):
        yield f"totals {numbers}"
    lengths = {len(values) for values in parsed.streams.values()}
    if len(lengths) > 1:
        yield f"streams of different lengths {lengths}"
    time = parsed.streams.get("time", [])
    if any(b is None or a is None or b < a for a, b in pairwise(time)):
        yield "the time stream runs backwards"
    for name in ("heartrate", "watts"):
        if name in parsed.streams and not any(v for v in parsed.streams[name]):
            yield f"a {name} stream without a reading"


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_real_file(row: dict[str, str]) -> None:
    raw = (CORPUS / row["file"]).read_bytes()
    if refusal_expected(row):
        with pytest.raises(FilesError) as refused:
            read_activity(row["file"], raw, Limits(), now=NOW)
        assert refused.value.file == row["file"] and refused.value.reason
        assert str(refused.value).startswith(row["file"])
        assert REFUSED.get(row["file"], "") in refused.value.reason
        return
    parsed = read_activity(row["file"], raw, Limits(), now=NOW)
    expected = expected_of(row, content(row))
    assert len(parsed) == len(expected), [a.sport_type for a in parsed]
    problems = [
        f"activity {index}: {problem}"
        for index, (ours, theirs) in enumerate(zip(parsed, expected, strict=True))
        for problem in [*disagreements(ours, theirs), *invariants(ours)]
    ]
    assert not problems, problems
    groups = {activity.multisport_group for activity in parsed}
    if len(parsed) > 1:
        assert groups == {hashlib.sha256(content(row)).hexdigest()}
        assert [a.leg for a in parsed] == list(range(len(parsed)))
    else:
        assert groups == {None}


def test_the_manifest_lists_every_file_of_the_corpus() -> None:
    on_disk = {
        str(path.relative_to(CORPUS))
        for folder in ("fit", "gpx", "tcx")
        for path in (CORPUS / folder).iterdir()
    }
    assert on_disk == {row["file"] for row in ROWS}
    assert set(REFUSED) <= on_disk
