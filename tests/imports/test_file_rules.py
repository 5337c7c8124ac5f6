"""The import rules of docs/files.md, each shown on a real recording of tests/files/real
(and, where a real file cannot show it, on one the builders write)."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from fitcoach import coach
from fitcoach.activities.loads import coach_streams
from fitcoach.coach import AthleteThresholds, LoadMethod, activity_load
from fitcoach.imports.errors import CorruptFile
from fitcoach.imports.parsing.formats import read_activity
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.parsing.recording import sport_from_word
from fitcoach.imports.parsing.summary import FileActivity
from tests.imports.builders import (
    CORRELATION,
    ENUM,
    FILE_ID,
    LAP,
    LENGTH,
    SESSION,
    UINT8,
    UINT16,
    UINT32,
    FitMessage,
    Workout,
    fit_bytes,
    fit_records,
    fit_time,
    gpx_file,
    ride,
    run,
    tcx_file,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # fitdecode's dev fields

REAL = Path(__file__).resolve().parents[1] / "files" / "real"
NOW = datetime(2026, 12, 31, tzinfo=UTC)
START = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)


def real(name: str) -> list[FileActivity]:
    return read_activity(name, (REAL / name).read_bytes(), Limits(), now=NOW)


def one(name: str) -> FileActivity:
    [activity] = real(name)
    return activity


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def haversine_in_file_order(points: list[tuple[float, float]]) -> float:
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in pairwise(points):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        total += 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, a)))
    return total


# 1. The file's own summary is the truth; pool swims by their lengths and laps.


def test_a_pool_swim_keeps_its_timer_time_not_the_seconds_its_speed_samples_show() -> None:
    swim_ = one("fit/garmin-forerunner-735xt__pool-swim-lengths.fit")
    # 73 minutes on the watch's timer; its speed samples alone gave 110 s.
    assert (swim_.sport_type, swim_.elapsed_s, swim_.moving_s) == ("Swim", 4567, 4372)
    assert swim_.distance_m == pytest.approx(2606.0, abs=0.1)
    assert (swim_.average_heartrate, swim_.max_heartrate) == (142.0, 161.0)


def test_a_pool_swim_without_session_totals_counts_its_active_lengths() -> None:
    start = fit_time(START)
    lengths: list[FitMessage] = []
    moment = start
    for index in range(40):
        kind = 0 if index % 10 == 9 else 1  # every tenth "length" is a rest at the wall
        seconds = 60 if kind == 0 else 30
        lengths.append(
            (
                LENGTH,
                [
                    (253, UINT32, moment + seconds),
                    (2, UINT32, moment),
                    (3, UINT32, seconds * 1000),
                    (4, UINT32, seconds * 1000),
                    (12, ENUM, kind),
                ],
            )
        )
        moment += seconds
    session: FitMessage = (
        SESSION,
        [
            (253, UINT32, moment),
            (2, UINT32, start),
            (7, UINT32, (moment - start) * 1000),
            (5, ENUM, 5),
            (6, ENUM, 17),
        ],
    )
    head: FitMessage = (FILE_ID, [(0, ENUM, 4), (1, UINT16, 1), (4, UINT32, start)])
    [activity] = read_activity("pool.fit", fit_bytes([head, *lengths, session]), Limits())
    assert activity.sport_type == "Swim" and activity.start == START
    assert (activity.elapsed_s, activity.moving_s) == (36 * 30 + 4 * 60, 36 * 30)


def test_laps_give_what_a_session_leaves_out() -> None:
    workout = ride(START, 600)
    start = fit_time(START)
    halves = [
        (
            LAP,
            [
                (253, UINT32, start + offset + 299),
                (2, UINT32, start + offset),
                (7, UINT32, 300_000),
                (8, UINT32, 290_000),
                (9, UINT32, 250_000),
                (15, UINT8, heart),
            ],
        )
        for offset, heart in ((0, 120), (300, 160))
    ]
    session: FitMessage = (SESSION, [(2, UINT32, start), (5, ENUM, 2)])  # start, sport only
    head: FitMessage = (FILE_ID, [(0, ENUM, 4), (4, UINT32, start)])
    data = fit_bytes([head, *fit_records(workout), *halves, session])
    [activity] = read_activity("laps.fit", data, Limits())
    assert (activity.elapsed_s, activity.moving_s, activity.distance_m) == (600, 580, 5000.0)
    assert activity.average_heartrate == 140.0  # the laps' average, weighted by time


def test_a_garmin_gpx_track_summary_is_its_summary() -> None:
    stats = (
        b"<extensions><gpxtrkx:TrackStatsExtension "
        b'xmlns:gpxtrkx="http://www.garmin.com/xmlschemas/TrackStatsExtension/v1">'
        b"<gpxtrkx:Distance>5432.1</gpxtrkx:Distance>"
        b"<gpxtrkx:TimerTime>2500</gpxtrkx:TimerTime>"
        b"<gpxtrkx:TotalElapsedTime>2690</gpxtrkx:TotalElapsedTime>"
        b"<gpxtrkx:Ascent>77</gpxtrkx:Ascent>"
        b"<gpxtrkx:AvgHeartRate>151</gpxtrkx:AvgHeartRate>"
        b"</gpxtrkx:TrackStatsExtension></extensions><trkseg>"
    )
    gpx = gpx_file(run(START, 2700)).replace(b"<trkseg>", stats, 1)
    [activity] = read_activity("run.gpx", gpx, Limits())
    assert (activity.elapsed_s, activity.moving_s, activity.distance_m) == (2690, 2500, 5432.1)
    assert (activity.elevation_gain_m, activity.average_heartrate) == (77.0, 151.0)


def test_tcx_laps_give_the_timer_time_distance_and_heart_rate() -> None:
    laps = one("tcx/garmin-edge-1000__ride-power-laps.tcx")
    assert (laps.moving_s, laps.distance_m) == (126, 668.2)
    assert laps.average_heartrate == pytest.approx(150.8, abs=0.1)  # laps weighted by time
    assert laps.max_heartrate == 156.0


# 2. A sport message before the session no longer hides the session's totals.


def test_a_sport_message_before_the_session_leaves_the_session_its_totals() -> None:
    wahoo = one("fit/wahoo-elemnt__ride-power.fit")  # sport message, then session
    assert (wahoo.elapsed_s, wahoo.moving_s) == (23595, 13471)
    assert wahoo.distance_m == pytest.approx(78940.6, abs=0.1)
    bryton = one("fit/bryton__ride-100k-records.fit")
    assert bryton.distance_m == pytest.approx(32172.0, abs=0.1)  # its records said 406 m
    assert (bryton.elapsed_s, bryton.elevation_gain_m) == (30877, 909.0)


def test_summary_first_and_summary_last_give_the_same_triathlon() -> None:
    first = real("fit/garmin-forerunner-255__triathlon-session-before-sport.fit")
    last = real("fit/garmin-forerunner-255__triathlon-summary-last.fit")

    def summary(activity: FileActivity) -> tuple[object, ...]:
        return (
            activity.sport_type,
            activity.start,
            activity.elapsed_s,
            activity.moving_s,
            activity.distance_m,
            activity.average_heartrate,
        )

    assert [summary(a) for a in first] == [summary(a) for a in last]


# 3. A multisport file is one activity per session, sharing a group.


def test_a_triathlon_is_five_activities_of_one_group() -> None:
    legs = real("fit/garmin-forerunner-920xt__triathlon-chained-headers.fit")
    assert [leg.sport_type for leg in legs] == ["Swim", "Workout", "Ride", "Workout", "Run"]
    assert [leg.name for leg in legs] == [None, "Transition", None, "Transition", None]
    assert [leg.elapsed_s for leg in legs] == [1988, 170, 4422, 61, 2851]
    assert [leg.distance_m for leg in legs] == [1644.7, 141.7, 40909.4, 31.9, 9805.9]
    assert len({leg.multisport_group for leg in legs}) == 1 and legs[0].multisport_group
    assert [leg.leg for leg in legs] == [0, 1, 2, 3, 4]
    for leg, following in pairwise(legs):
        # Each leg's streams lie within its own session: they end before the next starts.
        assert leg.start < following.start
        last = leg.start + timedelta(seconds=leg.streams["time"][-1])
        assert last < following.start
    assert "watts" not in legs[0].streams and "distance" in legs[2].streams


def test_a_multisport_tcx_is_one_activity_per_activity_element() -> None:
    legs = real("tcx/garmin-forerunner-305__multisport.tcx")
    assert [leg.sport_type for leg in legs] == ["Run", "Ride", "Run", "Ride"]
    assert len({leg.multisport_group for leg in legs}) == 1


# 4. Missing is not zero.


def test_an_all_zero_heart_rate_channel_is_no_heart_rate() -> None:
    for name in (
        "fit/zwift__virtual-ride-hr-all-zero.fit",
        "fit/onelap__indoor-ride-hr-all-zero.fit",
    ):
        ride_ = one(name)
        assert "heartrate" not in ride_.streams and ride_.average_heartrate is None
        assert "watts" in ride_.streams and ride_.average_watts
    coros = one("fit/coros-pace-2__ride-misaligned-fields.fit")  # session avg_power 0
    assert coros.average_watts is None and "watts" not in coros.streams


def test_the_load_of_a_ride_with_zero_heart_rate_falls_back_past_the_heart_rate() -> None:
    ride_ = one("fit/zwift__virtual-ride-hr-all-zero.fit")
    streams = coach_streams(ride_.streams)
    assert streams is not None
    activity = coach.Activity(
        sport_type=ride_.sport_type,
        start_date_local=ride_.start,
        moving_time=ride_.moving_s,
        elapsed_time=ride_.elapsed_s,
        distance=ride_.distance_m,
        average_watts=ride_.average_watts,
        weighted_average_watts=ride_.weighted_average_watts,
        device_watts=True,
        average_heartrate=ride_.average_heartrate,
        has_heartrate=ride_.average_heartrate is not None,
        streams=streams,
    )
    heart_only = AthleteThresholds(threshold_hr=165, resting_hr=50, max_hr=190)
    without_ftp = activity_load(activity, heart_only)
    assert without_ftp.method is LoadMethod.DURATION_ESTIMATE and without_ftp.load > 10
    with_ftp = activity_load(activity, replace(heart_only, ftp=250))
    assert with_ftp.method is LoadMethod.POWER_STREAM and with_ftp.load > 10


# 5. No valid time, or no duration: refused with a reason.


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("gpx/gpsbabel__invalid-1901-timestamps.gpx", "no valid time"),
        ("gpx/ultra-gps-logger__single-point.gpx", "no duration"),
        ("fit/garmin-forerunner-70__run-relative-time-created.fit", "no valid time"),
    ],
)
def test_files_without_a_valid_time_or_duration_are_refused(name: str, words: str) -> None:
    with pytest.raises(CorruptFile, match=words) as refused:
        real(name)
    assert refused.value.file == name


def test_relative_timestamps_are_placed_by_the_files_own_clock_time() -> None:
    virb = one("fit/garmin-virb-ultra-30__relative-timestamps.fit")  # timestamp_correlation
    assert virb.start == at("2017-06-28T02:33:06") and virb.elapsed_s == 210
    assert len(virb.streams["time"]) > 200
    # No correlation message: time_created is the device clock's zero.
    workout = run(START, 120)
    created = fit_time(START) - 1000
    head: FitMessage = (FILE_ID, [(0, ENUM, 4), (1, UINT16, 1), (4, UINT32, created)])
    records = fit_records(workout, clock=1000)
    [activity] = read_activity("relative.fit", fit_bytes([head, *records]), Limits())
    assert activity.start == START and activity.elapsed_s == 119
    # A correlation message wins over time_created.
    correlation: FitMessage = (
        CORRELATION,
        [(253, UINT32, fit_time(START) + 60), (1, UINT32, 1060)],
    )
    anchored = fit_bytes([(FILE_ID, [(0, ENUM, 4)]), correlation, *records])
    assert read_activity("relative.fit", anchored, Limits())[0].start == START
    # Neither: nothing says when it happened.
    with pytest.raises(CorruptFile, match="no valid time"):
        read_activity("relative.fit", fit_bytes([(FILE_ID, [(0, ENUM, 4)]), *records]), Limits())


def test_times_in_the_future_or_all_alike_are_refused() -> None:
    gpx = gpx_file(run(START, 600))
    with pytest.raises(CorruptFile, match="no valid time"):
        read_activity("run.gpx", gpx, Limits(), now=START - timedelta(days=2))
    # A clock half a day ahead of ours is a time zone mistake away: kept.
    assert read_activity("run.gpx", gpx, Limits(), now=START - timedelta(hours=12))
    alike = re.sub(rb"<time>[^<]*</time>", b"<time>2024-05-01T07:00:00Z</time>", gpx)
    with pytest.raises(CorruptFile, match="no duration"):
        read_activity("run.gpx", alike, Limits())


# 6. Times that run backwards: distance in file order, no speed from the times.


def test_backward_times_keep_the_file_order_and_make_the_time_axis_unreliable() -> None:
    from lxml import etree

    name = "gpx/sports-tracker__backwards-times.gpx"
    tracker = one(name)
    root = etree.fromstring((REAL / name).read_bytes())
    points = [(float(p.get("lat")), float(p.get("lon"))) for p in root.iter("{*}trkpt")]
    assert tracker.distance_m == pytest.approx(haversine_in_file_order(points), abs=0.1)
    assert not tracker.time_reliable
    assert tracker.elapsed_s == tracker.moving_s == 6582  # first to last time
    assert "velocity_smooth" not in tracker.streams
    time = tracker.streams["time"]
    assert all(a is not None and b is not None and a < b for a, b in pairwise(time))
    # One second's jitter (a fenix 2 run leg) is no reason to distrust a recording.
    assert all(leg.time_reliable for leg in real("fit/garmin-fenix-2__multisport-7-sessions.fit"))


# 7. Strava's numeric GPX types.


def test_stravas_numeric_gpx_types_are_sports() -> None:
    assert one("gpx/strava__ride-type-1.gpx").sport_type == "Ride"
    assert one("gpx/strava__swim-type-16-sparse.gpx").sport_type == "Swim"
    codes = {1: "Ride", 2: "AlpineSki", 4: "Hike", 9: "Run", 10: "Walk", 16: "Swim"}
    assert {code: sport_from_word(str(code)) for code in codes} == codes
    assert sport_from_word("17") == "VirtualRide" and sport_from_word(" 9 ") == "Run"
    assert sport_from_word("999") == sport_from_word("9" * 5000) == "Workout"
    assert sport_from_word("Ride") == "Ride" and sport_from_word("AlpineSki") == "AlpineSki"


# 8. GPX extensions: power, cadence, temperature.


def test_gpx_power_cadence_and_temperature_extensions_become_streams() -> None:
    urban = one("gpx/urban-biker__ride-power-extension.gpx")  # gpxpx:PowerInWatts
    assert {"watts", "cadence", "temp", "heartrate"} <= set(urban.streams)
    assert urban.average_watts == pytest.approx(197.3, abs=0.1)
    strava = one("gpx/strava__ride-type-1-power.gpx.gz")  # bare <power>
    assert "watts" in strava.streams and strava.weighted_average_watts
    movescount = one("gpx/movescount__ambit-millisecond-times.gpx")  # gpxdata:temp
    assert "temp" in movescount.streams and "heartrate" in movescount.streams


# 9. A sparse swim: its elapsed time is its moving time.


def test_a_sparse_gpx_swim_moves_for_its_whole_elapsed_time() -> None:
    swim_ = one("gpx/strava__swim-type-16-sparse.gpx")  # a point every ~45 s
    assert swim_.sport_type == "Swim"
    assert swim_.moving_s == swim_.elapsed_s == 3688


def test_sparse_samples_are_not_pauses_unless_long_for_their_interval() -> None:
    sparse = read_activity("run.gpx", gpx_file(run(START, 3600), every=30), Limits())[0]
    assert sparse.moving_s == sparse.elapsed_s  # 30 s apart, never stopped
    workout = run(START, 3600)
    workout.speed[1200:1500] = [0.0] * 300  # five minutes standing at a crossing
    dense = read_activity("run.fit", fit_file_of(workout), Limits())[0]
    assert dense.elapsed_s - dense.moving_s == pytest.approx(300, abs=5)


def fit_file_of(workout: Workout) -> bytes:
    head: FitMessage = (FILE_ID, [(0, ENUM, 4), (1, UINT16, 1), (4, UINT32, fit_time(START))])
    return fit_bytes([head, *fit_records(workout)])


# 10. A TCX file starts with its first lap, not its <Id>.


def test_tcx_starts_at_the_first_laps_start_not_its_id() -> None:
    polar = one("tcx/polar-m400__run-id-differs-from-lap.tcx")  # Id 10:25:12
    assert polar.start == at("2019-01-29T10:25:13")
    suunto = one("tcx/suunto-spartan-ultra__run-32-laps.tcx")  # first point 3 min later
    assert suunto.start == at("2017-05-09T18:11:26")
    assert suunto.elapsed_s == pytest.approx(1916, abs=1)  # its laps, 31:56
    rounded = tcx_file(ride(START + timedelta(seconds=37), 600)).replace(
        f"<Id>{(START + timedelta(seconds=37)):%Y-%m-%dT%H:%M:%SZ}</Id>".encode(),
        f"<Id>{START:%Y-%m-%dT%H:%M:%SZ}</Id>".encode(),  # Garmin's whole minute
    )
    [garmin] = read_activity("ride.tcx", rounded, Limits())
    assert garmin.start == START + timedelta(seconds=37)


# 13. Values out of range: dropped or refused by rule, never a crash.


def test_absurd_samples_are_dropped() -> None:
    stages = one("fit/stages-m200__indoor-ride-power-spike.fit")  # one sample of 47140 W
    assert max(w for w in stages.streams["watts"] if w is not None) <= 3000
    assert stages.average_watts == 250.0  # the session's own
    gpx = gpx_file(run(START, 300))
    broken = (
        gpx.replace(b'lon="', b'lon="1e300', 1)
        .replace(b'lat="', b'lat="nan', 1)
        .replace(b"<gpxtpx:hr>", b"<gpxtpx:hr>9", 5)
    )
    [activity] = read_activity("run.gpx", broken, Limits())
    # The absurd first position is skipped: the local time is the first sane one's
    # (Geneva in summer, UTC+2).
    assert activity.elapsed_s == 299 and activity.utc_offset_s == 7200
    assert max(h for h in activity.streams["heartrate"] if h is not None) <= 250
    assert activity.distance_m == pytest.approx(
        read_activity("run.gpx", gpx, Limits())[0].distance_m, rel=0.02
    )


def test_a_tcx_lap_of_1e30_seconds_is_ignored_not_stored() -> None:
    workout = ride(START, 600)
    tcx = tcx_file(workout).replace(b"<TotalTimeSeconds>599", b"<TotalTimeSeconds>1e30")
    [activity] = read_activity("ride.tcx", tcx, Limits())
    assert activity.elapsed_s == 599 and activity.moving_s <= 599
    only_laps = tcx_file(workout).split(b"<Track>")[0] + b"</Lap></Activity></Activities>"
    only_laps = only_laps.replace(b"<TotalTimeSeconds>599", b"<TotalTimeSeconds>1e30")
    with pytest.raises(CorruptFile, match="no duration"):
        read_activity("ride.tcx", only_laps + b"</TrainingCenterDatabase>", Limits())


def test_a_file_spanning_more_than_two_weeks_is_refused() -> None:
    gpx = gpx_file(run(START, 120))
    late = (START + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    last = (START + timedelta(seconds=119)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with pytest.raises(CorruptFile, match="span more than 14 days"):
        read_activity("run.gpx", gpx.replace(last, late), Limits(), now=NOW)
