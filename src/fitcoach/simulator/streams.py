"""1 Hz streams, regenerated on demand from an activity's seed and fitted to its summary.

Nothing here is stored: the workout plan comes back from the seed, noise is drawn from a
generator seeded the same way, and each series is then scaled so that its mean matches the
summary (average watts, heart rate, speed, total distance) and its peak the summary's maximum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .geo import route
from .models import Activity, Athlete
from .workouts import _CDA, _CRR, _G, _MASS, _RHO, heart_rate, hills, plan

Array = NDArray[np.float64]
STREAM_KEYS = (
    "time",
    "distance",
    "latlng",
    "altitude",
    "velocity_smooth",
    "heartrate",
    "cadence",
    "watts",
    "temp",
    "moving",
    "grade_smooth",
)


def _smooth(x: Array, seconds: int, initial: float | None = None) -> Array:
    """Causal exponential smoothing with time constant `seconds` (how a sensor lags)."""
    if seconds <= 1 or len(x) < 2:
        return x
    k = np.exp(-np.arange(min(len(x), seconds * 5)) / seconds)
    k /= k.sum()
    before = x[0] if initial is None else initial
    padded = np.concatenate([np.full(len(k) - 1, before), x])
    return np.convolve(padded, k, mode="valid")


def _wander(rng: np.random.Generator, n: int, seconds: int) -> Array:
    """Slowly varying noise with unit standard deviation."""
    w = _smooth(rng.standard_normal(n + seconds * 5)[: n + seconds * 5], seconds)[-n:]
    sd = float(w.std())
    return w / sd if sd > 0 else w


def fit(x: Array, mean: float, peak: float | None = None) -> Array:
    """Scale `x` so its mean is `mean`, capped at `peak` which one sample reaches."""
    x = np.maximum(x, 0.0)
    total = float(x.sum())
    if total <= 0 or mean <= 0:
        return np.full_like(x, max(mean, 0.0))
    x = x * (mean * len(x) / total)
    if peak is None or peak <= mean or len(x) < 2:
        return x
    top = int(np.argmax(x))
    for _ in range(6):
        x = np.minimum(x, peak)
        x[top] = peak
        free = (x < peak) & (x > 0)
        free[top] = False
        deficit = mean * len(x) - float(x.sum())
        base = float(x[free].sum())
        if abs(deficit) < 1e-9 * len(x) or base <= 0:
            break
        x[free] *= 1 + deficit / base
    return x


def _speed_for_power(watts: Array) -> Array:
    a = 0.5 * _RHO * _CDA
    b = _CRR * _MASS * _G
    p = watts / (2 * a)
    root = np.sqrt(p * p + (b / (3 * a)) ** 3)
    return np.cbrt(p + root) + np.cbrt(p - root)


def _altitude(act: Activity, fraction: Array) -> Array:
    base = act.elev_low if act.elev_low is not None else 20.0
    alt = np.full_like(fraction, base)
    for start, width, height in hills(act.seed, act.total_elevation_gain):
        u = (fraction - start) / width
        inside = (u >= 0) & (u <= 1)
        alt[inside] += height * 0.5 * (1 - np.cos(2 * np.pi * u[inside]))
    return alt


def _time(act: Activity, n: int, rng: np.random.Generator) -> Array:
    """Seconds since start: 1 Hz while moving, with jumps where the device auto-paused."""
    t = np.arange(n, dtype=np.float64)
    paused = act.elapsed_time - act.moving_time
    if paused > 0 and n > 10:
        stops = int(rng.integers(1, 5))
        at = np.sort(rng.integers(1, n - 1, size=stops))
        share = rng.dirichlet(np.ones(stops)) * paused
        lengths = np.floor(share)
        lengths[-1] += paused - lengths.sum()
        for idx, length in zip(at, lengths, strict=True):
            t[idx:] += length
    return t


def compute(act: Activity, athlete: Athlete) -> dict[str, list[object]]:
    """Every stream the activity has, keyed by Strava's stream type."""
    if act.raw_streams is not None:
        return {k: list(v.get("data", [])) for k, v in act.raw_streams.items()}
    if not act.has_streams or act.moving_time < 2:
        return {}
    n = act.moving_time
    segments = plan(act.workout, act.seed, n)
    rng = np.random.default_rng(act.seed)
    intensity = np.repeat([s.intensity for s in segments], [s.seconds for s in segments])
    intensity = intensity.astype(np.float64)[:n]
    ride = act.workout.startswith("ride")
    out: dict[str, Array] = {"time": _time(act, n, rng)}
    fraction_est = np.arange(n) / n
    altitude_est = _altitude(act, fraction_est)
    grade_est = np.gradient(altitude_est) / max(act.distance / n, 0.1) * 100

    watts: Array | None = None
    if ride:
        raw = (
            athlete.ftp
            * intensity
            * (1 + 0.07 * _wander(rng, n, 20) + 0.05 * rng.standard_normal(n))
        )
        if not act.trainer:  # coasting: short spells of zero power
            starts = rng.integers(0, n, size=max(1, n // 400))
            for s in starts:
                raw[s : s + int(rng.integers(3, 25))] = 0.0
        watts = raw
        if act.device_watts and act.average_watts:
            out["watts"] = np.round(
                fit(raw, act.average_watts, float(act.max_watts) if act.max_watts else None)
            )
    if act.average_heartrate is not None:
        levels = [heart_rate(s.intensity, athlete.resting_hr, athlete.max_hr) for s in segments]
        target = np.repeat(levels, [s.seconds for s in segments]).astype(np.float64)[:n]
        # Heart rate lags effort and drifts upward as the session goes on.
        hr = (
            _smooth(target, 40, initial=athlete.resting_hr + 20.0)
            + np.linspace(0, 4, n)
            + 1.2 * rng.standard_normal(n)
        )
        out["heartrate"] = np.round(
            fit(hr, act.average_heartrate, float(act.max_heartrate) if act.max_heartrate else None)
        )
    if act.distance > 0:
        if ride:
            assert watts is not None
            v = _speed_for_power(np.maximum(_smooth(watts, 10), 60.0))
            v *= np.exp(-np.clip(grade_est, -12, 15) / 100 * 6)
        else:
            reference = (
                athlete.run_threshold_speed
                if act.workout.startswith("run")
                else (athlete.swim_speed)
            )
            v = reference * intensity * (1 + 0.03 * _wander(rng, n, 30))
            v *= np.exp(-np.clip(grade_est, -15, 15) / 100 * 3)
        velocity = fit(_smooth(v, 3), act.average_speed, act.max_speed or None)
        out["velocity_smooth"] = np.round(velocity, 3)
        step = np.concatenate([[0.0], velocity[1:]])
        distance = np.cumsum(step) * (act.distance / max(float(step.sum()), 1e-9))
        out["distance"] = np.round(distance, 1)
        fraction = distance / act.distance
        if act.elev_low is not None or act.total_elevation_gain > 0:
            altitude = _altitude(act, fraction)
            out["altitude"] = np.round(altitude, 1)
            grade = np.gradient(altitude) / np.maximum(np.gradient(distance), 0.5) * 100
            smooth_grade = np.clip(_smooth(grade, 5), -30.0, 30.0)
            out["grade_smooth"] = np.round(smooth_grade, 1).astype(np.float64)
        if act.gps:
            out["latlng"] = route(act, athlete, fraction)
    if act.average_cadence:
        cadence = act.average_cadence + 2.5 * _wander(rng, n, 15)
        if "watts" in out:
            cadence = np.where(out["watts"] > 0, cadence, 0.0)
        out["cadence"] = np.round(fit(cadence, act.average_cadence))
    if act.average_temp is not None:
        out["temp"] = np.round(act.average_temp + 1.2 * _wander(rng, n, 600))
    result: dict[str, list[object]] = {k: v.tolist() for k, v in out.items()}
    for key in ("time", "watts", "heartrate", "cadence", "temp"):
        if key in result:
            result[key] = [int(x) for x in out[key]]
    result["moving"] = [True] * n
    return result


def select(
    streams: dict[str, list[object]], keys: list[str], key_by_type: bool
) -> dict[str, object] | list[dict[str, object]]:
    """Strava's response: the requested streams that exist, plus the distance series stream."""
    wanted = [k for k in STREAM_KEYS if k in keys and k in streams]
    series = "distance" if "distance" in streams else "time"
    if series in streams and series not in wanted:
        wanted.append(series)
    items = {
        k: {
            "data": streams[k],
            "series_type": series,
            "original_size": len(streams[k]),
            "resolution": "high",
        }
        for k in wanted
    }
    if key_by_type:
        return dict(items)
    return [{"type": k, **v} for k, v in items.items()]
