"""From a recording to an activity: Strava-shaped streams and the summary fields.

Streams use Strava's keys and units (``time`` s from the start, ``watts``, ``heartrate``,
``cadence``, ``altitude`` m, ``distance`` m, ``velocity_smooth`` m/s, ``grade_smooth`` %),
so the activity page and the coach read an imported activity exactly like one fetched
from Strava. The device's own totals win over recomputed ones where it wrote them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from fitcoach.coach import CoachError, normalized_power
from fitcoach.imports.errors import CorruptFile
from fitcoach.imports.parsing.recording import Recording

FloatArray = npt.NDArray[np.float64]

# Longer gaps between samples are pauses (auto-pause, a stop): not moving time.
PAUSE_S = 10.0
# Below this speed the athlete is standing still (m/s), as Strava's moving time treats it.
STILL_M_S = 0.5
# Altitude changes smaller than this are GPS/barometer noise, not climbing.
CLIMB_HYSTERESIS_M = 2.0
SMOOTH_SAMPLES = 5
EARTH_RADIUS_M = 6_371_000.0
# Stream name -> decimals kept (None: whole numbers), which keeps stored JSON small.
_ROUNDING: dict[str, int | None] = {
    "time": None,
    "watts": None,
    "heartrate": None,
    "cadence": None,
    "altitude": 1,
    "distance": 1,
    "velocity_smooth": 3,
    "grade_smooth": 1,
}


@dataclass(frozen=True)
class FileActivity:
    """One activity read from a file, ready to store."""

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

    @property
    def start_local(self) -> datetime:
        """Wall-clock start marked UTC, as Strava's ``start_date_local`` is."""
        return self.start + timedelta(seconds=self.utc_offset_s or 0)


def _array(values: list[float | None]) -> FloatArray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def _present(array: FloatArray) -> bool:
    return bool(np.isfinite(array).any())


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


def _track_distance(lat: FloatArray, lng: FloatArray) -> FloatArray | None:
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


def summarise(recording: Recording, *, sha256: str, filename: str) -> FileActivity:
    """The activity in ``recording``; CorruptFile when it recorded nothing usable."""
    order = np.argsort(np.asarray(recording.times, dtype=np.float64), kind="stable")
    stamps = np.asarray(recording.times, dtype=np.float64)[order]
    # Devices repeat a timestamp now and then: keep the last sample of each second.
    keep = np.ones(len(stamps), dtype=bool)
    if len(stamps) > 1:
        keep[:-1] = np.floor(stamps[1:]) != np.floor(stamps[:-1])
    order, stamps = order[keep], stamps[keep]
    start = recording.start
    if start is None and len(stamps) == 0:
        raise CorruptFile(filename, "the file holds no recorded samples and no start time")
    if start is None:
        start = datetime.fromtimestamp(float(stamps[0]), UTC)
    channels = {name: _array(values)[order] for name, values in recording.channels.items()}
    time = np.floor(stamps - stamps[0]) if len(stamps) else np.zeros(0)
    if len(time) == 0 and not recording.elapsed_s:
        raise CorruptFile(filename, "the file holds no recorded samples")

    distance = channels["distance"] if _present(channels["distance"]) else None
    if distance is None and len(time):
        distance = _track_distance(channels["lat"], channels["lng"])
    speed: FloatArray | None = channels["speed"] if _present(channels["speed"]) else None
    if speed is None and distance is not None and len(time) > 1:
        dt = np.diff(time, prepend=time[0] - 1.0)
        speed = _smooth(np.diff(_filled(distance), prepend=0.0) / np.maximum(dt, 1.0))

    streams: dict[str, list[float | None]] = {}
    if len(time):
        streams["time"] = _stored("time", time)
        for key, source in (("watts", "watts"), ("heartrate", "heartrate"), ("cadence", "cadence")):
            if _present(channels[source]):
                streams[key] = _stored(key, channels[source])
        if _present(channels["altitude"]):
            streams["altitude"] = _stored("altitude", channels["altitude"])
        if distance is not None:
            streams["distance"] = _stored("distance", distance)
        if speed is not None:
            streams["velocity_smooth"] = _stored("velocity_smooth", speed)
        if distance is not None and _present(channels["altitude"]):
            streams["grade_smooth"] = _stored(
                "grade_smooth", _grade(channels["altitude"], distance)
            )

    gaps = np.diff(time) if len(time) > 1 else np.zeros(0)
    moving_mask = gaps <= PAUSE_S
    if speed is not None and len(gaps):
        moving_mask &= np.nan_to_num(speed[1:]) >= STILL_M_S
    elapsed = recording.elapsed_s if recording.elapsed_s else float(time[-1]) if len(time) else 0
    moving = recording.moving_s if recording.moving_s else float(gaps[moving_mask].sum())
    if distance is not None and _present(distance):
        total_distance = float(np.nanmax(distance))
    else:
        total_distance = 0.0
    if recording.distance_m is not None:
        total_distance = recording.distance_m
    climb = recording.elevation_gain_m
    if climb is None:
        climb = _climb(channels["altitude"])

    watts = channels["watts"]
    average_watts = weighted = kilojoules = None
    if _present(watts):
        average_watts = _mean(watts)
        try:
            weighted = normalized_power(watts, time=time)
        except CoachError:
            weighted = None
        held = np.nan_to_num(_filled(watts))[1:] * np.minimum(gaps, PAUSE_S)
        kilojoules = float(held.sum()) / 1000.0
    heart = channels["heartrate"]
    heart = np.where(heart > 0, heart, np.nan)
    max_heart = float(np.nanmax(heart)) if _present(heart) else None
    return FileActivity(
        sha256=sha256,
        filename=filename,
        sport_type=recording.sport_type,
        start=start,
        utc_offset_s=recording.utc_offset_s,
        elapsed_s=round(elapsed),
        moving_s=round(min(moving, elapsed) if elapsed else moving),
        distance_m=round(total_distance, 1),
        elevation_gain_m=round(climb, 1),
        average_watts=_rounded(average_watts),
        weighted_average_watts=_rounded(weighted),
        kilojoules=_rounded(kilojoules),
        average_heartrate=_rounded(_mean(heart)),
        max_heartrate=max_heart,
        average_speed=round(total_distance / moving, 3) if moving > 0 else None,
        trainer=recording.trainer,
        name=recording.name,
        device=recording.device,
        streams=streams,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 1)
