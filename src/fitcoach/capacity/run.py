"""`fitcoach capacity`: every strategy over the same population, and --find-max's search."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fitcoach.capacity.options import CapacityOptions
from fitcoach.capacity.own import UPGRADES, Fitcoach
from fitcoach.capacity.population import generate
from fitcoach.capacity.seed import SeedCurrent, SeedDaily, SeedWebhooks
from fitcoach.capacity.strategy import Strategy
from fitcoach.capacity.world import StrategyRun, peak_rss_mb, run_strategy

STRATEGY_TYPES: dict[str, type[Strategy]] = {
    s.name: s for s in (SeedCurrent, SeedDaily, SeedWebhooks, Fitcoach)
}
# --find-max stops when the bracket is this narrow (relative to the largest N served),
# because each probe replays whole days: exactness to one athlete would cost many probes.
FIND_MAX_PRECISION = 0.05
FIND_MAX_CEILING = 100_000
GROWTH_CAP = 10

Progress = Callable[[str], None]


@dataclass
class CapacityReport:
    options: CapacityOptions
    runs: list[StrategyRun]
    seconds: float
    peak_rss_mb: float
    find_max: list[MaxResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "options": {**asdict(self.options), "new_athletes_per_day": self.options.joins_per_day},
            "seconds": round(self.seconds, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "strategies": [run_dict(run) for run in self.runs],
            "find_max": [asdict(result) for result in self.find_max],
        }


@dataclass
class Probe:
    athletes: int
    serves_all: bool
    why_not: str | None
    seconds: float
    calls_per_day: int  # of the days it ran (a stopped probe: its last day only in part)


@dataclass
class MaxResult:
    strategy: str
    athletes: int  # the largest N served (0: not even the smallest probe)
    first_failing: int | None
    probes: list[Probe]
    peak_rss_mb: float


def run_dict(run: StrategyRun) -> dict[str, Any]:
    return {
        "strategy": run.strategy,
        "athletes": run.athletes,
        "seconds": round(run.seconds, 1),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "serves_all": run.serves_all,
        "extra": run.extra,
        "days": [day.as_dict() for day in run.days],
    }


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Budget refusals and sync failures are the point of the run, not news to log."""
    logger = logging.getLogger("fitcoach")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _processes(strategies: int) -> ProcessPoolExecutor:
    """One process per strategy, as many at once as there are cores: the runs share nothing
    (each has its own simulator, database and clock), so they need not take turns."""
    workers = max(1, min(strategies, os.cpu_count() or 1))
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _measure(options: CapacityOptions, name: str, workdir: str) -> StrategyRun:
    with quiet_logs():
        return run_strategy(options, generate(options), STRATEGY_TYPES[name], Path(workdir))


def run_capacity(options: CapacityOptions, progress: Progress | None = None) -> CapacityReport:
    started = time.perf_counter()
    runs: dict[str, StrategyRun] = {}
    with (
        tempfile.TemporaryDirectory(prefix="fitcoach-capacity-") as workdir,
        _processes(len(options.strategies)) as pool,
    ):
        _say(
            progress,
            f"{options.athletes} athletes, {options.days} days: " + ", ".join(options.strategies),
        )
        futures = {
            pool.submit(_measure, options, name, workdir): name for name in options.strategies
        }
        for future in as_completed(futures):
            run = future.result()
            runs[run.strategy] = run
            _say(progress, f"{run.strategy}: done in {run.seconds:.0f} s")
    ordered = [runs[name] for name in options.strategies]
    peak = max(run.peak_rss_mb for run in ordered)
    return CapacityReport(options, ordered, time.perf_counter() - started, peak)


def find_max(options: CapacityOptions, progress: Progress | None = None) -> CapacityReport:
    """For each strategy, search for the largest population it serves (CAPACITY.md)."""
    started = time.perf_counter()
    results: dict[str, MaxResult] = {}
    with (
        tempfile.TemporaryDirectory(prefix="fitcoach-capacity-") as workdir,
        _processes(len(options.strategies)) as pool,
    ):
        names = options.strategies
        _say(progress, f"--find-max from {options.athletes} athletes: {', '.join(names)}")
        # Each probe is reported from its process as it ends (a callback cannot cross).
        verbose = progress is not None
        futures = {pool.submit(_search, options, name, workdir, verbose) for name in names}
        for future in as_completed(futures):
            result = future.result()
            results[result.strategy] = result
            _say(progress, f"{result.strategy}: serves {result.athletes} athletes")
    report = CapacityReport(options, [], time.perf_counter() - started, peak_rss_mb())
    report.find_max = [results[name] for name in options.strategies]
    report.peak_rss_mb = max([report.peak_rss_mb, *(r.peak_rss_mb for r in report.find_max)])
    return report


def next_size(options: CapacityOptions, athletes: int, run: StrategyRun) -> int:
    """Where to probe after `athletes` were served: just under the size at which this
    run's calls per athlete would fill the daily limit, and at least one step of the
    search's precision further; never more than ten times as far (a small probe's
    figures are rough). Stream upgrades are left out: they fill spare budget, whatever
    the size, and give way as the demand grows."""
    rate = max((d.calls - d.calls_by_cause.get(UPGRADES, 0)) / max(d.athletes, 1) for d in run.days)
    step = int(athletes * (1 + FIND_MAX_PRECISION)) + 1
    if rate <= 0:
        return athletes * GROWTH_CAP
    estimate = int(options.read_long_limit / rate * (1 - FIND_MAX_PRECISION / 2))
    return min(max(estimate, step), athletes * GROWTH_CAP)


def search_largest(
    options: CapacityOptions, probe: Callable[[int], StrategyRun]
) -> tuple[int, int | None]:
    """The largest N served and the smallest N found failing (None: up to the ceiling).

    It grows towards the size the daily limit allows at the calls per athlete measured,
    then narrows the bracket to `FIND_MAX_PRECISION`. Most strategies are bound by calls
    per athlete per day, so the first estimate lands within a few per cent and the search
    takes three or four probes, not ten doublings and a bisection.
    """
    good, bad = 0, None
    athletes = options.athletes
    while True:
        run = probe(athletes)
        first_failure = False
        if run.serves_all:
            good = athletes
        else:
            first_failure, bad = bad is None, athletes
        if bad is None:
            if athletes >= FIND_MAX_CEILING:
                break
            athletes = min(FIND_MAX_CEILING, next_size(options, athletes, run))
            continue
        if bad - good <= max(1, int(good * FIND_MAX_PRECISION)):
            break
        if good == 0:
            athletes = max(1, bad // 2)
        elif first_failure:
            # The estimate overshot: the largest N served is most likely just below it.
            athletes = max((good + bad) // 2, int(bad / (1 + FIND_MAX_PRECISION)))
        else:
            athletes = (good + bad) // 2
    return good, bad


def _search(options: CapacityOptions, name: str, workdir: str, verbose: bool) -> MaxResult:
    probes: list[Probe] = []

    def probe(athletes: int) -> StrategyRun:
        sized = options.with_athletes(athletes)
        with quiet_logs():
            run = run_strategy(sized, generate(sized), STRATEGY_TYPES[name], Path(workdir), True)
        why = run.aborted or (None if run.serves_all else "a day over the limits")
        calls = sum(d.calls for d in run.days) / len(run.days)
        probes.append(Probe(athletes, run.serves_all, why, round(run.seconds, 1), round(calls)))
        if verbose:
            verdict = "serves all" if run.serves_all else f"does not: {why}"
            print(f"{name}: {athletes} athletes {verdict} [{run.seconds:.0f} s]", file=sys.stderr)
        return run

    good, bad = search_largest(options, probe)
    return MaxResult(name, good, bad, probes, peak_rss_mb())
