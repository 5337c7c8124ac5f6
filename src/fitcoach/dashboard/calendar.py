"""The calendar's month: weeks from Monday to Sunday, each day's activities and load, each
week's totals and the form it leaves (computed, no reads; ``dashboard.queries`` reads).

``month_view`` takes the planned workouts of each day too (``planned``): the plan is shown
in the same grid, beside what was done, once there is one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from fitcoach.activities.queries import DayActivityRow
from fitcoach.coach import DailyLoads, daily_numbers
from fitcoach.core.errors import BadInput

Planned = TypeVar("Planned")


def parse_month(value: str | None, today: date) -> date:
    """The first day of the month ``YYYY-MM`` names (this month when it names none)."""
    if not value:
        return today.replace(day=1)
    try:
        year, month = value.split("-")
        first = date(int(year), int(month), 1)
    except ValueError as error:
        raise BadInput(f"'month' must look like 2026-03, not {value!r}") from error
    if len(year) != 4:
        raise BadInput(f"'month' must look like 2026-03, not {value!r}")
    return first


def add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def grid_bounds(first: date) -> tuple[date, date]:
    """The Monday before (or of) the month's first day and the Sunday after its last."""
    last = add_months(first, 1) - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


@dataclass(frozen=True)
class CalendarDay(Generic[Planned]):
    day: date
    in_month: bool
    today: bool
    activities: tuple[DayActivityRow, ...]
    planned: tuple[Planned, ...]
    # The day's load: its activities' and any load carried past the retention of its rows.
    load: float


@dataclass(frozen=True)
class CalendarWeek(Generic[Planned]):
    start: date
    days: tuple[CalendarDay[Planned], ...]
    moving_time_s: int
    distance_m: float
    load: float
    # Form (fitness − fatigue) after the week's last day, or this morning's for the week in
    # progress; None for a week still to come or before the athlete's first load.
    form: float | None
    form_on: date | None


@dataclass(frozen=True)
class MonthView(Generic[Planned]):
    first: date
    weeks: tuple[CalendarWeek[Planned], ...]
    previous: date
    next: date
    # The day the keyboard starts on: today in this month, else the month's first day.
    focus: date

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"


def month_view(
    first: date,
    today: date,
    activities: Sequence[DayActivityRow],
    history: DailyLoads,
    planned: Mapping[date, Sequence[Planned]] | None = None,
) -> MonthView[Planned]:
    """The month starting ``first`` as a grid of weeks; ``history`` is the athlete's whole
    load history (the form needs every earlier day), ``planned`` the planned workouts by
    day."""
    start, end = grid_bounds(first)
    numbers = daily_numbers(history.series_until(today))
    loads = history.totals(start, end)
    by_day: dict[date, list[DayActivityRow]] = {}
    for row in activities:
        by_day.setdefault(row.start_day, []).append(row)
    weeks = []
    monday = start
    while monday <= end:
        days = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            days.append(
                CalendarDay(
                    day,
                    day.month == first.month,
                    day == today,
                    tuple(by_day.get(day, ())),
                    tuple((planned or {}).get(day, ())),
                    float(loads[(day - start).days]),
                )
            )
        done = [row for d in days for row in d.activities]
        form_on = min(monday + timedelta(days=7), today)
        form = None
        if numbers.start <= form_on and monday <= today:
            form = numbers.on(form_on).tsb
        weeks.append(
            CalendarWeek(
                monday,
                tuple(days),
                sum(row.moving_time_s for row in done),
                sum(row.distance_m for row in done),
                sum(d.load for d in days),
                form,
                form_on if form is not None else None,
            )
        )
        monday += timedelta(days=7)
    focus = today if today.replace(day=1) == first else first
    return MonthView(first, tuple(weeks), add_months(first, -1), add_months(first, 1), focus)
