"""Weekly and monthly totals per sport, set against the athlete's own recent average."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from fitcoach.coach import sports
from fitcoach.coach._checks import require_non_negative
from fitcoach.coach.errors import CoachError

ALL_SPORTS = "all"


class Summed(Protocol):
    """What a summary reads of an activity: a ``coach.Activity``, or a row with these."""

    @property
    def sport_type(self) -> str: ...
    @property
    def start_date_local(self) -> datetime: ...
    @property
    def moving_time(self) -> float: ...
    @property
    def distance(self) -> float: ...
    @property
    def total_elevation_gain(self) -> float: ...


@dataclass(frozen=True)
class Totals:
    """Sums over a period (or, for an average, per period): count, seconds, metres, load."""

    count: float = 0.0
    moving_time_s: float = 0.0
    distance_m: float = 0.0
    elevation_m: float = 0.0
    load: float = 0.0


@dataclass(frozen=True)
class SportSummary:
    """One sport family's totals this period, its average over the periods before, and the
    difference (current − average)."""

    sport: str
    current: Totals
    recent_average: Totals
    difference: Totals


@dataclass(frozen=True)
class PeriodSummary:
    """A week (Monday to Sunday) or calendar month, per sport and for all sports together."""

    kind: Literal["week", "month"]
    start: date
    end: date
    compared_periods: int
    total: SportSummary
    sports: tuple[SportSummary, ...]


def weekly_summary(
    activities: Sequence[Summed],
    loads: Sequence[float],
    *,
    week_of: date,
    compare_weeks: int = 4,
    to_date: bool = False,
) -> PeriodSummary:
    """The ISO week (Monday–Sunday) holding ``week_of`` against the ``compare_weeks`` before.

    ``to_date``: the week so far (Monday to ``week_of``) against the same days of the
    weeks before, so a week still under way is not measured against whole weeks."""
    _check_compare(compare_weeks)
    monday = week_of - timedelta(days=week_of.weekday())
    last = week_of.weekday() if to_date else 6
    periods = [
        (monday - timedelta(weeks=i), monday - timedelta(weeks=i) + timedelta(days=last))
        for i in range(compare_weeks + 1)
    ]
    return _summarize("week", activities, loads, periods)


def monthly_summary(
    activities: Sequence[Summed],
    loads: Sequence[float],
    *,
    month_of: date,
    compare_months: int = 3,
) -> PeriodSummary:
    """The calendar month holding ``month_of`` against the ``compare_months`` before."""
    _check_compare(compare_months)
    periods = []
    first = month_of.replace(day=1)
    for _ in range(compare_months + 1):
        following = (first + timedelta(days=32)).replace(day=1)
        periods.append((first, following - timedelta(days=1)))
        first = (first - timedelta(days=1)).replace(day=1)
    return _summarize("month", activities, loads, periods)


def _summarize(
    kind: Literal["week", "month"],
    activities: Sequence[Summed],
    loads: Sequence[float],
    periods: list[tuple[date, date]],
) -> PeriodSummary:
    if len(activities) != len(loads):
        raise CoachError(f"{len(activities)} activities but {len(loads)} loads: one load each")
    compared = len(periods) - 1
    # sums[sport][period] = [count, time, distance, elevation, load]
    sums: dict[str, list[list[float]]] = {}
    # The period of each day in the range: one lookup per activity, not a search.
    period_of = {
        start + timedelta(days=offset): index
        for index, (start, end) in enumerate(periods)
        for offset in range((end - start).days + 1)
    }
    for activity, load in zip(activities, loads, strict=True):
        require_non_negative("load", load)
        index = period_of.get(activity.start_date_local.date())
        if index is None:
            continue
        family = sports.sport_family(activity.sport_type)
        for key in (family, ALL_SPORTS):
            if key not in sums:
                sums[key] = [[0.0] * 5 for _ in periods]
            row = sums[key][index]
            row[0] += 1
            row[1] += activity.moving_time
            row[2] += activity.distance
            row[3] += activity.total_elevation_gain
            row[4] += load
    summaries = {key: _sport_summary(key, rows, compared) for key, rows in sums.items()}
    total = summaries.pop(ALL_SPORTS, None) or _sport_summary(
        ALL_SPORTS, [[0.0] * 5 for _ in periods], compared
    )
    ordered = sorted(summaries.values(), key=lambda s: (-s.current.load, s.sport))
    return PeriodSummary(kind, periods[0][0], periods[0][1], compared, total, tuple(ordered))


def _sport_summary(sport: str, rows: list[list[float]], compared: int) -> SportSummary:
    current = Totals(*rows[0])
    if compared == 0:
        average = Totals()
    else:
        average = Totals(*(sum(r[k] for r in rows[1:]) / compared for k in range(5)))
    difference = Totals(
        current.count - average.count,
        current.moving_time_s - average.moving_time_s,
        current.distance_m - average.distance_m,
        current.elevation_m - average.elevation_m,
        current.load - average.load,
    )
    return SportSummary(sport, current, average, difference)


def _check_compare(periods: int) -> None:
    if periods < 0:
        raise CoachError(f"the number of periods to compare with must be >= 0, got {periods}")
