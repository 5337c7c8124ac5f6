"""The performance-management series: fitness (CTL), fatigue (ATL), form (TSB), ramp rate.

Conventions (docs/metrics.md, "Performance management"):
- exponential form (default): CTL(d) = CTL(d−1) + (load(d) − CTL(d−1)) × (1 − e^(−1/42)),
  ATL alike with 7 days, so after n days of a constant load L from zero
  CTL = L·(1 − e^(−n/42)); the "simple" form uses 1/42 (TrainingPeaks' published
  recurrence), about 1 % faster;
- CTL(d) and ATL(d) include day d's training;
- TSB(d) = CTL(d−1) − ATL(d−1): form on the morning of day d, before that day's training,
  as TrainingPeaks and intervals.icu show it;
- the days before the series hold ``ctl_start`` and ``atl_start`` (0 unless given), so
  TSB on the first day is ctl_start − atl_start;
- ramp(d) = CTL(d) − CTL(d−7), the change in fitness over the last week, the seed standing
  in for the days before the start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from fitcoach.coach._checks import require_non_negative, require_positive
from fitcoach.coach._samples import FloatArray
from fitcoach.coach.errors import CoachError

CTL_DAYS = 42.0
ATL_DAYS = 7.0
RAMP_DAYS = 7
Smoothing = Literal["exponential", "simple"]
# The recurrence runs as independent blocks of this many days (a matrix product each),
# chained by one carried value per block: a Python loop over blocks instead of days.
_BLOCK = 64


@dataclass(frozen=True, eq=False)
class PerformanceSeries:
    """One value per day from ``start``; arrays are read-only and all the same length."""

    start: date
    load: FloatArray
    ctl: FloatArray
    atl: FloatArray
    tsb: FloatArray
    ramp: FloatArray
    ctl_days: float
    atl_days: float
    ctl_start: float
    atl_start: float
    smoothing: Smoothing

    @property
    def end(self) -> date:
        """The last day of the series."""
        return self.start + timedelta(days=len(self.load) - 1)


@dataclass(frozen=True)
class PerformanceDay:
    """The series' values on one day."""

    day: date
    load: float
    ctl: float
    atl: float
    tsb: float
    ramp: float


def performance_series(
    daily_loads: Sequence[float] | FloatArray,
    start: date,
    *,
    ctl_days: float = CTL_DAYS,
    atl_days: float = ATL_DAYS,
    ctl_start: float = 0.0,
    atl_start: float = 0.0,
    smoothing: Smoothing = "exponential",
) -> PerformanceSeries:
    """CTL, ATL, TSB and ramp rate for consecutive days of load starting at ``start``."""
    loads = _check_loads(daily_loads)
    require_positive("ctl_days", ctl_days)
    require_positive("atl_days", atl_days)
    require_non_negative("ctl_start", ctl_start)
    require_non_negative("atl_start", atl_start)
    if smoothing not in ("exponential", "simple"):
        raise CoachError(f"smoothing must be 'exponential' or 'simple', got {smoothing!r}")
    ctl = exponential_average(loads, smoothing_factor(ctl_days, smoothing), ctl_start)
    atl = exponential_average(loads, smoothing_factor(atl_days, smoothing), atl_start)
    tsb = np.empty_like(ctl)
    tsb[0] = ctl_start - atl_start
    np.subtract(ctl[:-1], atl[:-1], out=tsb[1:])
    ramp = np.empty_like(ctl)
    lag = min(RAMP_DAYS, len(ctl))
    ramp[:lag] = ctl[:lag] - ctl_start
    np.subtract(ctl[lag:], ctl[:-lag], out=ramp[lag:])
    for array in (loads, ctl, atl, tsb, ramp):
        array.flags.writeable = False
    return PerformanceSeries(
        start, loads, ctl, atl, tsb, ramp, ctl_days, atl_days, ctl_start, atl_start, smoothing
    )


def performance_on(series: PerformanceSeries, day: date) -> PerformanceDay:
    """The series' values on ``day``, which must fall within it."""
    i = (day - series.start).days
    if not 0 <= i < len(series.load):
        raise CoachError(f"{day} is outside the series ({series.start} to {series.end})")
    return PerformanceDay(
        day,
        float(series.load[i]),
        float(series.ctl[i]),
        float(series.atl[i]),
        float(series.tsb[i]),
        float(series.ramp[i]),
    )


@dataclass(frozen=True, eq=False)
class DailyNumbers:
    """The numbers of each day as fitcoach shows them everywhere (the headline, the chart,
    its table, the coach, the API): as they stand on the MORNING of the day, before its
    training. Fitness and fatigue are the previous day's CTL and ATL, form is fitness −
    fatigue (TSB as TrainingPeaks and intervals.icu show it), the ramp is the change in
    fitness over the seven days before; ``load`` is the day's own training load."""

    start: date
    load: FloatArray
    fitness: FloatArray
    fatigue: FloatArray
    form: FloatArray
    ramp: FloatArray

    def on(self, day: date) -> PerformanceDay:
        i = (day - self.start).days
        if not 0 <= i < len(self.load):
            raise CoachError(f"{day} is outside the series")
        return PerformanceDay(
            day,
            float(self.load[i]),
            float(self.fitness[i]),
            float(self.fatigue[i]),
            float(self.form[i]),
            float(self.ramp[i]),
        )


def daily_numbers(series: PerformanceSeries) -> DailyNumbers:
    """Each day's morning numbers (``DailyNumbers``) from the end-of-day series."""

    def before(values: FloatArray, seed: float) -> FloatArray:
        shifted = np.empty_like(values)
        if len(values):
            shifted[0] = seed
            shifted[1:] = values[:-1]
        shifted.flags.writeable = False
        return shifted

    fitness = before(series.ctl, series.ctl_start)
    fatigue = before(series.atl, series.atl_start)
    return DailyNumbers(
        series.start,
        series.load,
        fitness,
        fatigue,
        series.tsb,  # CTL(d−1) − ATL(d−1): the same numbers, by construction
        before(series.ramp, 0.0),
    )


# Day numbers count days since this date, as the store's queries give them.
EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since ``EPOCH``."""
    return (day - EPOCH).days


@dataclass(frozen=True)
class DailyLoads:
    """Loads by day as two arrays: the day numbers (days since ``EPOCH``, in any order,
    repeats allowed) and the load of each. Arrays rather than (date, load) pairs: a
    history of thousands of days is summed in one step, not one Python object at a time.
    """

    days: npt.NDArray[np.int64]
    loads: FloatArray

    @classmethod
    def of(cls, dated_loads: Iterable[tuple[date, float]]) -> DailyLoads:
        pairs = [(day_number(day), load) for day, load in dated_loads]
        return cls(
            np.array([day for day, _ in pairs], dtype=np.int64),
            np.array([load for _, load in pairs], dtype=np.float64),
        )

    def first(self) -> date | None:
        """The earliest day, or None when there are none."""
        return EPOCH + timedelta(days=int(self.days.min())) if len(self.days) else None

    def dated(self) -> list[tuple[date, float]]:
        """The same as (date, load) pairs."""
        return [
            (EPOCH + timedelta(days=day), load)
            for day, load in zip(self.days.tolist(), self.loads.tolist(), strict=True)
        ]

    def series_until(self, today: date) -> PerformanceSeries:
        """The fitness series from the first day with a load (today without one) to
        today: CTL needs every earlier day to be right."""
        start = min(self.first() or today, today)
        return performance_series(self.totals(start, today), start)

    def totals(self, start: date, end: date) -> FloatArray:
        """Loads summed per day from ``start`` to ``end`` inclusive; days outside are
        ignored."""
        days = (end - start).days + 1
        if days < 1:
            raise CoachError(f"end ({end}) is before start ({start})")
        bad = self.loads[~(np.isfinite(self.loads) & (self.loads >= 0))]
        if bad.size:
            raise CoachError(f"load must be a finite number >= 0, got {float(bad[0])!r}")
        offsets = self.days - day_number(start)
        inside = (offsets >= 0) & (offsets < days)
        totals: FloatArray = np.bincount(
            offsets[inside], weights=self.loads[inside], minlength=days
        ).astype(np.float64)
        return totals


def daily_load_totals(
    dated_loads: Iterable[tuple[date, float]], start: date, end: date
) -> FloatArray:
    """Loads summed per day from ``start`` to ``end`` inclusive; days outside are ignored."""
    return DailyLoads.of(dated_loads).totals(start, end)


def smoothing_factor(days: float, smoothing: Smoothing) -> float:
    """α of the recurrence: 1 − e^(−1/days), or 1/days in the simple form."""
    return 1.0 / days if smoothing == "simple" else 1.0 - math.exp(-1.0 / days)


def exponential_average(x: FloatArray, alpha: float, start: float) -> FloatArray:
    """y(d) = y(d−1) + (x(d) − y(d−1)) × alpha, with y(−1) = start."""
    n = len(x)
    blocks = -(-n // _BLOCK)
    padded = np.zeros(blocks * _BLOCK)
    padded[:n] = x
    within, carry_in, carry_block = _block_operators(alpha)
    # Each block's answer from a zero state, then the state carried in from the block before.
    local = padded.reshape(blocks, _BLOCK) @ within
    states = np.empty(blocks)
    state = start
    for b in range(blocks):
        states[b] = state
        state = float(local[b, -1]) + carry_block * state
    y: FloatArray = (local + np.outer(states, carry_in)).ravel()[:n]
    return y


@lru_cache(maxsize=16)
def _block_operators(alpha: float) -> tuple[FloatArray, FloatArray, float]:
    keep = 1.0 - alpha
    lag = np.arange(_BLOCK)[None, :] - np.arange(_BLOCK)[:, None]
    # within[k, j]: weight of day k's load in day j's value, for k <= j in the same block.
    within: FloatArray = np.where(lag >= 0, alpha * keep ** np.maximum(lag, 0), 0.0)
    carry_in: FloatArray = keep ** np.arange(1, _BLOCK + 1, dtype=np.float64)
    for array in (within, carry_in):
        array.flags.writeable = False
    return within, carry_in, keep**_BLOCK


def _check_loads(daily_loads: Sequence[float] | FloatArray) -> FloatArray:
    try:
        loads = np.array(daily_loads, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CoachError(f"daily_loads must be numbers: {exc}") from exc
    if loads.ndim != 1 or len(loads) == 0:
        raise CoachError("daily_loads must be a non-empty sequence of numbers, one per day")
    bad = ~np.isfinite(loads) | (loads < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise CoachError(f"daily_loads[{i}] must be a finite number >= 0, got {loads[i]!r}")
    return loads
