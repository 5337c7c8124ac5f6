"""Best efforts and duration curves, and the critical power and speed fitted to them.

An activity's curve is computed once, from its streams (docs/metrics.md, "Best efforts and
curves"):
- power and heart rate: the best mean over every duration of ``DURATIONS_S``, on the
  stream laid on a one-second grid by the gap rule of every stream metric (``_samples``:
  dropouts held, pauses count for nothing);
- pace: the shortest time over every distance of ``RUN_DISTANCES_M`` (runs) or
  ``SWIM_DISTANCES_M`` (swims), from the distance and time streams, interpolated inside
  the sample where the distance is reached.
Curves of many activities merge by keeping the best of each point (``merge_best``).

Critical power and W′ come from the linear work-time model (Monod & Scherrer 1965; Moritani
et al. 1981; Jones et al. 2010): work = CP·t + W′, fitted by least squares to the best
efforts between 2 and 20 minutes; critical speed and D′ alike from distance = CS·t + D′.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from fitcoach.coach._samples import StreamValues, regular_samples, to_array
from fitcoach.coach.errors import CoachError

# Durations (seconds) of the power and heart-rate curves: 1 s to 5 h.
DURATIONS_S: tuple[int, ...] = (
    1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200,
    1800, 2700, 3600, 5400, 7200, 10800, 14400, 18000,
)  # fmt: skip
# Standard distances (metres): running 400 m to the marathon, swimming 100 m to 3.8 km.
RUN_DISTANCES_M: tuple[float, ...] = (
    400.0, 800.0, 1000.0, 1609.344, 3000.0, 5000.0, 10000.0, 15000.0, 21097.5, 30000.0,
    42195.0,
)  # fmt: skip
SWIM_DISTANCES_M: tuple[float, ...] = (100.0, 200.0, 400.0, 750.0, 1000.0, 1500.0, 1900.0, 3800.0)
# The part of the power and pace curves the critical power and speed are fitted to.
CRITICAL_FIT_S = (120.0, 1200.0)
MIN_FIT_POINTS = 3


@dataclass(frozen=True)
class CurvePoint:
    """One point of a curve: its duration (s) or distance (m), and the best value there
    (W or bpm for a duration; seconds for a distance)."""

    key: float
    value: float


def best_means(
    values: StreamValues,
    *,
    time: StreamValues | None = None,
    durations: Sequence[int] = DURATIONS_S,
) -> list[CurvePoint]:
    """The best mean of ``values`` over each duration the stream is long enough for."""
    x = regular_samples(values, "values", time=time)
    if len(x) == 0:
        return []
    csum = np.concatenate(([0.0], np.cumsum(x)))
    points = []
    for seconds in durations:
        if seconds > len(x):
            break
        best = float(np.max(csum[seconds:] - csum[:-seconds])) / seconds
        points.append(CurvePoint(float(seconds), best))
    return points


def best_times(
    distance: StreamValues,
    time: StreamValues,
    distances: Sequence[float] = RUN_DISTANCES_M,
) -> list[CurvePoint]:
    """The shortest time (s) over each distance the activity covered, from the cumulative
    distance and time streams; samples where either is missing are skipped."""
    d, t = to_array(distance, "distance"), to_array(time, "time")
    if len(d) != len(t):
        raise CoachError(f"distance has {len(d)} samples but time has {len(t)}")
    good = np.isfinite(d) & np.isfinite(t)
    d, t = d[good], t[good]
    if len(d) < 2:
        return []
    # Cumulative distance never goes down; a GPS glitch that does is held level.
    d = np.maximum.accumulate(d)
    points = []
    for target in distances:
        if d[-1] - d[0] < target:
            break
        reach = d + target
        j = np.searchsorted(d, reach, side="left")
        ok = j < len(d)
        i, j = np.flatnonzero(ok), j[ok]
        # Interpolate the time at which the distance is reached inside sample j-1..j.
        span = d[j] - d[j - 1]
        share = np.divide(reach[i] - d[j - 1], span, out=np.ones_like(span), where=span > 0)
        arrive = t[j - 1] + share * (t[j] - t[j - 1])
        elapsed = arrive - t[i]
        positive = elapsed > 0
        if positive.any():
            points.append(CurvePoint(target, float(np.min(elapsed[positive]))))
    return points


def merge_best(
    curves: Iterable[Sequence[CurvePoint]], *, higher_is_better: bool = True
) -> list[CurvePoint]:
    """The best value at each key over several curves (highest power, shortest time)."""
    best: dict[float, float] = {}
    for curve in curves:
        for point in curve:
            known = best.get(point.key)
            better = known is None or (
                point.value > known if higher_is_better else point.value < known
            )
            if better:
                best[point.key] = point.value
    return [CurvePoint(key, best[key]) for key in sorted(best)]


@dataclass(frozen=True)
class CriticalFit:
    """A linear work-time fit: the critical rate (CP in W, CS in m/s), the capacity above
    it (W′ in J, D′ in m), and how well the points fit (R²)."""

    critical: float
    capacity: float
    r_squared: float
    points: int


def _fit(seconds: Sequence[float], amounts: Sequence[float]) -> CriticalFit | None:
    t = np.asarray(seconds, dtype=np.float64)
    w = np.asarray(amounts, dtype=np.float64)
    if len(t) < MIN_FIT_POINTS or np.ptp(t) == 0:
        return None
    slope, intercept = np.polyfit(t, w, 1)
    predicted = slope * t + intercept
    total = float(np.sum((w - w.mean()) ** 2))
    r_squared = 1.0 - float(np.sum((w - predicted) ** 2)) / total if total > 0 else 1.0
    if slope <= 0 or intercept < 0:
        return None  # efforts that are not maximal: no physiological fit
    return CriticalFit(float(slope), float(intercept), r_squared, len(t))


def critical_power(power_curve: Sequence[CurvePoint]) -> CriticalFit | None:
    """CP (W) and W′ (J) from the best mean powers between 2 and 20 minutes."""
    low, high = CRITICAL_FIT_S
    chosen = [p for p in power_curve if low <= p.key <= high]
    return _fit([p.key for p in chosen], [p.value * p.key for p in chosen])


def critical_speed(pace_curve: Sequence[CurvePoint]) -> CriticalFit | None:
    """CS (m/s) and D′ (m) from the best times whose durations lie between 2 and 20 minutes."""
    low, high = CRITICAL_FIT_S
    chosen = [p for p in pace_curve if low <= p.value <= high]
    return _fit([p.value for p in chosen], [p.key for p in chosen])


@dataclass(frozen=True)
class MonthlyFtp:
    """An FTP estimate for one month, and what it was estimated from."""

    month: date
    watts: float
    source: str


def ftp_by_month(
    monthly_curves: Iterable[tuple[date, Sequence[CurvePoint]]], factor: float = 0.95
) -> list[MonthlyFtp]:
    """An FTP estimate per month: ``factor`` × the month's best 20-minute power (Coggan),
    or its critical power when the month has no 20-minute effort but a CP fit."""
    found = []
    for month, curve in monthly_curves:
        twenty = next((p.value for p in curve if p.key == 1200.0), None)
        if twenty is not None:
            source = f"{factor:.0%} of the month's best 20-minute power ({twenty:.0f} W)"
            found.append(MonthlyFtp(month, factor * twenty, source))
            continue
        fit = critical_power(curve)
        if fit is not None:
            found.append(MonthlyFtp(month, fit.critical, "the month's critical power"))
    return found
