"""From a recording to an activity: Strava-shaped streams and the summary fields.

Streams use Strava's keys and units (``time`` s from the start, ``watts``, ``heartrate``,
``cadence``, ``temp`` °C, ``altitude`` m, ``distance`` m, ``velocity_smooth`` m/s,
``grade_smooth`` %), so the activity page and the coach read an imported activity exactly
like one fetched from Strava.

The rules (docs/files.md, "What is read"):

- the file's own summary is the truth where it has one; the streams fill what it lacks;
- values out of range are dropped (samples) or ignored (totals), see ``ranges``;
- missing is not zero: a heart-rate, power or cadence channel without a single non-zero
  reading is no channel, and an average of zero is no average;
- distance and ascent are measured in file order; times that run backwards make the
  time axis unreliable: the duration is the span of the times, and no moving time or
  speed is derived from them (the points are never reordered);
- moving time from samples counts gaps by the recording's own interval, and a swim's is
  its elapsed time (a watch under water records when it can, not when the swimmer stops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from fitcoach.coach import CoachError, normalized_power
from fitcoach.coach.sports import SWIM, sport_family
from fitcoach.imports.errors import CorruptFile
from fitcoach.imports.parsing import ranges
from fitcoach.imports.parsing.recording import Recording

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Gaps longer than this many recording intervals (and than PAUSE_S) are pauses.
PAUSE_S = 10.0
PAUSE_INTERVALS = 3.0
# Speed tells standing from moving only where samples are this close (s); sparser ones
# (smart recording at its sparsest, GPS under water) say nothing about a stop between them.
DENSE_S = 5.0
# Below this speed the athlete is standing still (m/s), as Strava's moving time treats it.
STILL_M_S = 0.5
# A step back of a second is a clock's jitter (a device rounding sub-second times); a
# longer one means the file's times cannot be trusted for speed or moving time.
BACKWARD_JITTER_S = 1.0
# When a file's timer time exceeds its elapsed time by more than this, the two were
# written the wrong way round (the larger is the elapsed time).
SWAPPED_MARGIN_S = 1.0
# Altitude changes smaller than this are GPS/barometer noise, not climbing.
CLIMB_HYSTERESIS_M = 2.0
SMOOTH_SAMPLES = 5
EARTH_RADIUS_M = 6_371_000.0
# Channels whose readings are counts of something: a channel of zeros recorded nothing.
_ZERO_IS_MISSING = ("watts", "heartrate", "cadence")
# Stream name -> decimals kept (None: whole numbers), which keeps stored JSON small.
_ROUNDING: dict[str, int | None] = {
    "time": None,
    "watts": None,
    "heartrate": None,
    "cadence": None,
    "temp": None,
    "altitude": 1,
    "distance": 1,
    "velocity_smooth": 3,
    "grade_smooth": 1,
}


@dataclass(frozen=True)
class FileActivity:
    """One activity read from a file, ready to store.

    A multisport file gives one per sport session (``leg`` 0, 1, …), all with the same
    ``multisport_group`` (the file's hash); other files give one, with no group.
    ``time_reliable`` is False when the file's times ran backwards.
    """

    sha256: str
    filename: str
    sport_type: str
    start: datetime
    utc_offset_s: int | None
    elapsed_s: int
    moving_s: int
    distance_m: float
    elevation_gain_m: float
    average_watts: float | None = None
    weighted_average_watts: float | None = None
    kilojoules: float | None = None
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    average_speed: float | None = None
    trainer: bool = False
    name: str | None = None
    device: str | None = None
    streams: dict[str, list[float | None]] = field(default_factory=dict)
    multisport_group: str | None = None
    leg: int = 0
    time_reliable: bool = True
    # The device's laps in Strava's lap shape (``Recording.laps``).
    laps: list[dict[str, float | None]] = field(default_factory=list)

    @property
    def start_local(self) -> datetime:
        """Wall-clock start marked UTC, as Strava's ``start_date_local`` is."""
        return self.start + timedelta(seconds=self.utc_offset_s or 0)


def _array(values: list[float | None]) -> FloatArray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def _present(array: FloatArray) -> bool:
    return bool(np.isfinite(array).any())


def _cleaned(name: str, array: FloatArray) -> FloatArray:
    """Readings outside the channel's range become missing (see ``ranges``)."""
    bounds = ranges.SAMPLE_RANGES.get(name)
    if bounds is None or not len(array):
        return array
    low, high = bounds
    with np.errstate(invalid="ignore"):
        bad = ~((array >= low) & (array <= high))
        if name == "heartrate":
            bad |= array == 0
    return np.where(bad, np.nan, array)


def _filled(array: FloatArray) -> FloatArray:
    """NaNs replaced by the last reading (the first readings by the first one)."""
    valid = np.isfinite(array)
    if valid.all() or not valid.any():
        return array
    index = np.where(valid, np.arange(len(array)), 0)
    np.maximum.accumulate(index, out=index)
    filled = array[index]
    first = int(np.argmax(valid))
    filled[:first] = array[first]
    return filled


def _smooth(array: FloatArray) -> FloatArray:
    if len(array) < SMOOTH_SAMPLES:
        return array
    kernel = np.ones(SMOOTH_SAMPLES) / SMOOTH_SAMPLES
    padded = np.pad(array, SMOOTH_SAMPLES // 2, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def track_distance(lat: FloatArray, lng: FloatArray) -> FloatArray | None:
    """Cumulative great-circle distance along the points in the order given (m)."""
    if not (_present(lat) and _present(lng)):
        return None
    phi, lam = np.radians(_filled(lat)), np.radians(_filled(lng))
    a = (
        np.sin(np.diff(phi) / 2) ** 2
        + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.diff(lam) / 2) ** 2
    )
    steps = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return np.concatenate(([0.0], np.cumsum(steps)))


def _climb(altitude: FloatArray) -> float:
    """Total ascent with hysteresis, so noise around a level does not add up."""
    readings = altitude[np.isfinite(altitude)]
    if len(readings) < 2:
        return 0.0
    gain, low, high = 0.0, readings[0], readings[0]
    for value in readings[1:]:
        if value > high:
            high = value
        if high - low >= CLIMB_HYSTERESIS_M and value < high - CLIMB_HYSTERESIS_M:
            gain += high - low
            low = high = value
        elif value < low:
            low = high = value
    if high - low >= CLIMB_HYSTERESIS_M:
        gain += high - low
    return float(gain)


def _grade(altitude: FloatArray, distance: FloatArray) -> FloatArray:
    alt, dist = _smooth(_filled(altitude)), _filled(distance)
    rise = np.diff(alt, prepend=alt[0])
    run = np.diff(dist, prepend=dist[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        grade = np.where(run > 0.5, rise / run * 100.0, 0.0)
    return np.clip(_smooth(np.nan_to_num(grade)), -40.0, 40.0)


def _stored(name: str, array: FloatArray) -> list[float | None]:
    decimals = _ROUNDING[name]
    if decimals is None:
        return [None if v != v else int(v) for v in np.rint(array).tolist()]
    return [None if v != v else v for v in np.round(array, decimals).tolist()]


def _mean(array: FloatArray) -> float | None:
    return float(np.nanmean(array)) if _present(array) else None


def _recorded(name: str, array: FloatArray) -> bool:
    """Whether a channel holds a reading: for counts, a non-zero one."""
    if name in _ZERO_IS_MISSING:
        with np.errstate(invalid="ignore"):
            return bool((array > 0).any())
    return _present(array)


def _no_time(filename: str, stamps: FloatArray) -> CorruptFile:
    finite = stamps[np.isfinite(stamps)]
    if not len(finite):
        return CorruptFile(filename, "the file holds no timed samples and no start time")
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=float(finite[0]))
    return CorruptFile(
        filename,
        f"no valid time: its timestamps ({moment:%Y-%m-%d}) are before 1990 or in the future",
    )


@dataclass
class _Samples:
    """The samples with a valid time, in file order, and their time axis."""

    stamps: FloatArray
    channels: dict[str, FloatArray]
    reliable: bool
    # The samples kept on the time axis (one per second) and their seconds from the first.
    keep: npt.NDArray[np.intp]
    time: FloatArray


def _samples(recording: Recording, now: datetime) -> tuple[_Samples, FloatArray]:
    stamps = np.asarray(recording.times, dtype=np.float64)
    channels = {name: _cleaned(name, _array(v)) for name, v in recording.channels.items()}
    unplaced = np.isnan(channels["lat"]) | np.isnan(channels["lng"])
    channels["lat"] = np.where(unplaced, np.nan, channels["lat"])
    channels["lng"] = np.where(unplaced, np.nan, channels["lng"])
    earliest = ranges.EARLIEST.timestamp()
    latest = (now + ranges.FUTURE_SLACK).timestamp()
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(stamps) & (stamps >= earliest) & (stamps <= latest)
    all_stamps = stamps
    stamps = stamps[valid]
    channels = {name: values[valid] for name, values in channels.items()}
    seconds = np.floor(stamps)
    reliable = not bool((np.diff(seconds) < -BACKWARD_JITTER_S).any())
    # The time axis never runs backwards: where the file's does, each sample keeps the
    # latest time seen so far (the points stay in file order).
    axis = np.maximum.accumulate(seconds) if len(seconds) else seconds
    time = axis - axis[0] if len(axis) else axis
    # Devices repeat a second now and then: keep the last sample of each second.
    last_of_second = np.ones(len(time), dtype=bool)
    if len(time) > 1:
        last_of_second[:-1] = time[1:] != time[:-1]
    keep = np.flatnonzero(last_of_second)
    return _Samples(stamps, channels, reliable, keep, time[keep]), all_stamps


def _moving_from_samples(samples: _Samples, speed: FloatArray | None, elapsed: float) -> float:
    """Moving time from the samples: pauses are gaps long for this recording's interval,
    and, where samples are dense, the times spent below walking pace."""
    time = samples.time
    if not samples.reliable or len(time) < 2:
        return elapsed
    gaps = np.diff(time)
    positive = gaps[gaps > 0]
    interval = float(np.median(positive)) if len(positive) else 1.0
    moving = gaps <= max(PAUSE_S, PAUSE_INTERVALS * interval)
    if speed is not None and interval <= DENSE_S:
        with np.errstate(invalid="ignore"):
            moving &= ~(speed[1:] < STILL_M_S)  # a missing speed is no evidence of a stop
    return float(gaps[moving].sum())


def summarise(
    recording: Recording, *, sha256: str, filename: str, now: datetime | None = None
) -> FileActivity:
    """The activity in ``recording``; CorruptFile when it has no valid time or duration."""
    now = now or datetime.now(UTC)
    samples, all_stamps = _samples(recording, now)
    start_s = recording.start.timestamp() if recording.start is not None else None
    if start_s is not None and not ranges.valid_time(start_s, now):
        start_s = None
    if start_s is None and not len(samples.stamps):
        raise _no_time(filename, all_stamps)
    if start_s is None:
        start_s = float(samples.stamps.min())
    channels = samples.channels
    keep, time = samples.keep, samples.time
    # Distance in file order: the device's own distance channel, else the track's.
    distance_all = channels["distance"]
    if _present(distance_all):
        distance_all = distance_all - distance_all[np.isfinite(distance_all)][0]
    else:
        found = track_distance(channels["lat"], channels["lng"])
        distance_all = found if found is not None else distance_all
    distance = distance_all[keep] if _present(distance_all) else None
    speed: FloatArray | None = None
    if samples.reliable:
        recorded = channels["speed"][keep]
        if _present(recorded):
            speed = recorded
        elif distance is not None and len(time) > 1:
            dt = np.diff(time, prepend=time[0] - 1.0)
            speed = _smooth(np.diff(_filled(distance), prepend=0.0) / np.maximum(dt, 1.0))

    kept = {
        name: channels[name][keep]
        for name in ("watts", "heartrate", "cadence", "temp", "altitude")
        if _recorded(name, channels[name])
    }
    streams: dict[str, list[float | None]] = {}
    if len(time):
        streams["time"] = _stored("time", time)
        for name, values in kept.items():
            streams[name] = _stored(name, values)
        if distance is not None:
            streams["distance"] = _stored("distance", distance)
        if speed is not None:
            streams["velocity_smooth"] = _stored("velocity_smooth", speed)
        if distance is not None and "altitude" in kept:
            streams["grade_smooth"] = _stored("grade_smooth", _grade(kept["altitude"], distance))

    span = float(samples.stamps.max() - samples.stamps.min()) if len(samples.stamps) else 0.0
    elapsed = ranges.total("elapsed_s", recording.elapsed_s) or None
    moving = ranges.total("moving_s", recording.moving_s) or None
    if elapsed is not None and moving is not None and moving > elapsed + SWAPPED_MARGIN_S:
        elapsed, moving = moving, elapsed
    if elapsed is None:
        elapsed = max(span, moving or 0.0)
    if elapsed > ranges.MAX_DURATION_S:
        raise CorruptFile(
            filename, f"its times span more than {ranges.MAX_DURATION_S / 86400:.0f} days"
        )
    if round(elapsed) < 1:
        raise CorruptFile(filename, "no duration: its samples all carry the same time")
    if moving is None:
        if sport_family(recording.sport_type) == SWIM:
            moving = elapsed
        else:
            moving = _moving_from_samples(samples, speed, elapsed)
    moving = min(moving, elapsed)

    total_distance = ranges.total("distance_m", recording.distance_m)
    if total_distance is None:
        total_distance = float(np.nanmax(distance)) if distance is not None else 0.0
    climb = ranges.total("elevation_gain_m", recording.elevation_gain_m)
    if climb is None:
        climb = _climb(channels["altitude"])

    # Averages and maxima are of every reading (a repeated second included), the sums
    # over time of the one-per-second streams.
    watts = kept.get("watts")
    stream_watts = stream_np = stream_kj = None
    if watts is not None:
        stream_watts = _mean(channels["watts"])
        try:
            stream_np = normalized_power(watts, time=time)
        except CoachError:
            stream_np = None
        gaps = np.diff(time)
        held = np.nan_to_num(_filled(watts))[1:] * np.minimum(gaps, PAUSE_S)
        stream_kj = float(held.sum()) / 1000.0
    heart = channels["heartrate"] if "heartrate" in kept else None
    stream_max_heart = float(np.nanmax(heart)) if heart is not None else None
    average_heartrate = _pick(
        ranges.total("average_heartrate", recording.average_heartrate),
        _mean(heart) if heart is not None else None,
    )
    return FileActivity(
        sha256=sha256,
        filename=filename,
        sport_type=recording.sport_type,
        start=datetime.fromtimestamp(start_s, UTC),
        utc_offset_s=recording.utc_offset_s,
        elapsed_s=round(elapsed),
        moving_s=round(moving),
        distance_m=round(total_distance, 1),
        elevation_gain_m=round(climb, 1),
        average_watts=_rounded(
            _pick(ranges.total("average_watts", recording.average_watts), stream_watts)
        ),
        weighted_average_watts=_rounded(
            _pick(
                ranges.total("weighted_average_watts", recording.weighted_average_watts), stream_np
            )
        ),
        kilojoules=_rounded(_pick(ranges.total("kilojoules", recording.kilojoules), stream_kj)),
        average_heartrate=_rounded(average_heartrate),
        max_heartrate=_pick(
            ranges.total("max_heartrate", recording.max_heartrate), stream_max_heart
        ),
        average_speed=round(total_distance / moving, 3) if moving > 0 else None,
        trainer=recording.trainer,
        name=recording.name,
        device=recording.device,
        streams=streams,
        time_reliable=samples.reliable,
        laps=recording.laps,
    )


def _pick(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 1)
