"""Benchmark of the coach maths: a 10-year performance series and per-activity power load.

Run: uv run python bench/coach.py [--activities N] [--seconds S] [--years Y]

Each figure is set against a plain-numpy baseline of the same arithmetic in the same run:
- series: the textbook day-by-day loop (CTL and ATL recurrences over a numpy array, TSB
  and ramp vectorised), i.e. what one writes without thinking about speed;
- activity loads: the bare NP/TSS arithmetic on a float array (cumsum rolling mean, 4th
  power, mean, root), i.e. the floor: no validation, no gap handling, no method selection.
Activities carry 1 Hz power and time streams as float arrays (as Strava sends them, with
a time array), taken from a pool of distinct synthetic rides so the run needs little
memory. Each side is timed over three rounds and its best round is reported, so that a
busy machine slows both alike.
"""

import argparse
import math
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from fitcoach.coach import Activity, AthleteThresholds, Streams, activity_load, performance_series

FloatArray = npt.NDArray[np.float64]
FTP = 250.0
POOL = 32
ROUNDS = 3


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def baseline_series(loads: FloatArray) -> tuple[FloatArray, ...]:
    a_ctl, a_atl = 1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7)
    ctl, atl = np.empty_like(loads), np.empty_like(loads)
    c = a = 0.0
    for i in range(len(loads)):
        c += (loads[i] - c) * a_ctl
        a += (loads[i] - a) * a_atl
        ctl[i], atl[i] = c, a
    tsb = np.concatenate(([0.0], ctl[:-1] - atl[:-1]))
    ramp = ctl - np.concatenate((np.zeros(7), ctl[:-7]))
    return ctl, atl, tsb, ramp


def baseline_tss(watts: FloatArray) -> float:
    csum = np.concatenate(([0.0], np.cumsum(watts)))
    rolled = (csum[30:] - csum[:-30]) / 30
    squared = rolled * rolled
    np_w = float(np.mean(squared * squared) ** 0.25)
    return len(watts) * np_w * np_w / (FTP * FTP * 3600) * 100


def synthetic_ride(rng: np.random.Generator, seconds: int) -> FloatArray:
    """Endurance riding with intervals, coasting and noise."""
    base = rng.uniform(150, 220)
    watts = base + rng.normal(0, 25, seconds)
    for start in rng.integers(0, max(1, seconds - 300), 6):
        watts[start : start + 240] += rng.uniform(80, 160)
    coast = rng.random(seconds) < 0.08
    watts[coast] = 0.0
    result: FloatArray = np.clip(watts, 0, None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the coach maths.")
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=3600, help="power stream length")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=200, help="series timing repeats")
    args = parser.parse_args()
    rng = np.random.default_rng(42)

    days = 365 * args.years
    loads = rng.gamma(2.0, 40.0, days) * (rng.random(days) > 0.2)
    ours = performance_series(loads, date(2015, 1, 1))
    reference = baseline_series(loads)
    for mine, theirs in zip((ours.ctl, ours.atl, ours.tsb, ours.ramp), reference, strict=True):
        assert np.allclose(mine, theirs, rtol=1e-9, atol=1e-9)
    t_series = best_time(lambda: performance_series(loads, date(2015, 1, 1)), args.repeats)
    t_series_base = best_time(lambda: baseline_series(loads), max(5, args.repeats // 10))

    pool = [synthetic_ride(rng, args.seconds) for _ in range(POOL)]
    seconds = np.arange(args.seconds, dtype=np.float64)
    start = datetime(2024, 1, 1, 8)
    activities = [
        Activity(
            sport_type="Ride",
            start_date_local=start,
            moving_time=args.seconds,
            elapsed_time=args.seconds,
            device_watts=True,
            streams=Streams(watts=pool[i % POOL], time=seconds),
        )
        for i in range(args.activities)
    ]
    thresholds = AthleteThresholds(ftp=FTP)
    for watts, act in zip(pool, activities, strict=False):
        assert math.isclose(activity_load(act, thresholds).load, baseline_tss(watts), rel_tol=1e-9)

    t_loads = t_loads_base = math.inf
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        total = sum(activity_load(a, thresholds).load for a in activities)
        t_loads = min(t_loads, time.perf_counter() - t0)
        t0 = time.perf_counter()
        total_base = sum(baseline_tss(pool[i % POOL]) for i in range(args.activities))
        t_loads_base = min(t_loads_base, time.perf_counter() - t0)
        assert math.isclose(total, total_base, rel_tol=1e-9)

    rate, rate_base = args.activities / t_loads, args.activities / t_loads_base
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if sys.platform == "darwin":
        peak_mb /= 1024  # bytes there, kilobytes on Linux
    rows = [
        (
            f"performance series, {args.years} y ({days} days)",
            f"{t_series * 1e3:.3f} ms",
            f"{t_series_base * 1e3:.3f} ms",
            f"{t_series / t_series_base:.3f}",
        ),
        (
            f"activity loads, {args.activities:,} × {args.seconds} s @1 Hz power",
            f"{rate:,.0f} /s",
            f"{rate_base:,.0f} /s",
            f"{rate / rate_base:.3f}",
        ),
    ]
    header = ("benchmark", "fitcoach.coach", "numpy baseline", "ratio")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(
        f"\nseries ratio: time ÷ baseline time (lower is faster); loads ratio: activities/s ÷ "
        f"baseline activities/s (higher is faster). Loads: best round {t_loads:.2f} s for "
        f"{args.activities:,} activities. Peak memory (ru_maxrss): {peak_mb:.0f} MB."
    )


if __name__ == "__main__":
    main()
