"""What the dashboard shows, assembled from the store with the coach's maths.

Everything here reads the database only (zero Strava calls): the page's freshness is
decided before, by ``sync.freshness``. The reads run on the Core connection they are
given (the web app's page-read turn) with statements built once, on the driver's cursor
(``store.cursor_reads``): rows, not ORM objects, on their way to the coach's maths. The
results are plain frozen data for templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Select, bindparam, func, select, true

from fitcoach.coach import (
    DailyLoads,
    GoalEvent,
    PerformanceDay,
    PerformanceSeries,
    PeriodSummary,
    Recommendation,
    day_number,
    performance_on,
    recommend,
    weekly_summary,
)
from fitcoach.store.activities import newest_first_of
from fitcoach.store.cursor_reads import fetch, fetch_first
from fitcoach.store.models import Activity, Athlete, SyncState
from fitcoach.store.types import UTCDateTime
from fitcoach.sync.retention import daily_load_query, history_of

RANGES: dict[str, tuple[str, int | None]] = {
    "90d": ("90 days", 90),
    "6m": ("6 months", 182),
    "1y": ("1 year", 365),
    "all": ("All", None),
}
DEFAULT_RANGE = "90d"
RECENT_ACTIVITIES = 10
COMPARE_WEEKS = 4
WEEK_BARS = 8

# Short names for the activity list, and the longer "how it was computed" for a tooltip
# and the activity page; the values are coach.LoadMethod's.
METHOD_LABELS: dict[str, tuple[str, str]] = {
    "power_stream": ("power stream", "Power TSS from the power stream (normalized power)"),
    "weighted_average_power": (
        "weighted power",
        "Power TSS from Strava's weighted average power, recorded by a power meter",
    ),
    "heart_rate_stream": ("heart-rate stream", "Heart-rate TSS (TRIMP) from the heart-rate stream"),
    "average_heart_rate": ("average heart rate", "Heart-rate TSS (TRIMP) from the average"),
    "pace_stream": ("pace stream", "Running TSS from the grade-adjusted pace stream"),
    "average_pace": ("average pace", "Running TSS from the average pace"),
    "swim_pace": ("swim pace", "Swim TSS from the average pace per 100 m"),
    "duration_estimate": (
        "duration estimate",
        "Estimated from the duration at an assumed intensity: nothing measured it",
    ),
    "none": ("no load", "No duration was recorded, so there is no load"),
}
NOT_COMPUTED = ("pending", "The load is computed shortly after the activity arrives")

# Table columns, for statements built once: the dashboard's reads make rows, not objects.
_ACTIVITIES, _ATHLETES, _SYNC = (model.__table__.c for model in (Activity, Athlete, SyncState))

# What the activity list shows of an activity (``activity_line``).
LINE_FIELDS = (
    _ACTIVITIES.id,
    _ACTIVITIES.name,
    _ACTIVITIES.sport_type,
    _ACTIVITIES.start_date,
    _ACTIVITIES.start_date_local,
    _ACTIVITIES.moving_time_s,
    _ACTIVITIES.distance_m,
    _ACTIVITIES.elevation_gain_m,
    _ACTIVITIES.load,
    _ACTIVITIES.load_method,
)


def method_label(method: str | None) -> tuple[str, str]:
    """(short name, sentence) for a stored load method."""
    if method is None:
        return NOT_COMPUTED
    return METHOD_LABELS.get(method, (method.replace("_", " "), method.replace("_", " ")))


def range_key(value: str | None) -> str:
    return value if value in RANGES else DEFAULT_RANGE


@dataclass(frozen=True)
class Performance:
    """The fitness chart's data for one range, plus the numbers of this morning."""

    range_key: str
    range_label: str
    days: tuple[date, ...]
    load: tuple[float | None, ...]
    ctl: tuple[float | None, ...]
    atl: tuple[float | None, ...]
    tsb: tuple[float | None, ...]
    today: PerformanceDay
    goal: GoalEvent | None
    history_days: int

    def chart_data(self) -> dict[str, Any]:
        """What the browser's chart needs, x as UTC midnight epoch seconds."""

        def epoch(day: date) -> int:
            return day_number(day) * 86_400

        goal = None
        if self.goal is not None and self.days[0] <= self.goal.day <= self.days[-1]:
            goal = {"t": epoch(self.goal.day), "label": f"{self.goal.name} ({self.goal.priority})"}
        return {
            "x": [epoch(day) for day in self.days],
            "ctl": list(self.ctl),
            "atl": list(self.atl),
            "tsb": list(self.tsb),
            "load": list(self.load),
            "today": epoch(self.today.day),
            "goal": goal,
        }

    def table_rows(
        self, every: int = 7
    ) -> list[tuple[date, float | None, float | None, float | None]]:
        """Weekly samples ending today, for a screen-reader table beside the chart."""
        last = self.days.index(self.today.day)
        picks = range(last, -1, -every)
        return [(self.days[i], self.ctl[i], self.atl[i], self.tsb[i]) for i in picks][:26]


@dataclass(frozen=True)
class ActivityLine:
    id: int
    name: str
    sport_type: str
    start: datetime
    moving_time_s: int
    distance_m: float
    elevation_m: float
    load: float | None
    method: str
    method_text: str


@dataclass(frozen=True)
class WeekBar:
    start: date
    load: float
    current: bool


@dataclass(frozen=True)
class SyncSummary:
    last_sync_at: datetime | None
    backfill_done: bool
    backfill_fetched: int
    oldest_fetched: datetime | None
    stored: int
    failures: int
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class AthleteView:
    id: int
    firstname: str
    lastname: str
    connected: bool
    disconnected_reason: str | None
    goal: GoalEvent | None


@dataclass(frozen=True)
class Overview:
    athlete: AthleteView
    performance: Performance
    week: PeriodSummary
    week_bars: tuple[WeekBar, ...]
    recent: tuple[ActivityLine, ...]
    recommendations: tuple[Recommendation, ...]
    sync: SyncSummary


class GoalFields(Protocol):
    """What ``goal_of`` reads: an ``Athlete``, or a row with these columns."""

    @property
    def goal_event_name(self) -> str | None: ...
    @property
    def goal_event_date(self) -> date | None: ...
    @property
    def goal_event_priority(self) -> str | None: ...


def goal_of(athlete: GoalFields) -> GoalEvent | None:
    if not (athlete.goal_event_name and athlete.goal_event_date):
        return None
    priority: Literal["A", "B", "C"] = "A"
    if athlete.goal_event_priority == "B":
        priority = "B"
    elif athlete.goal_event_priority == "C":
        priority = "C"
    return GoalEvent(athlete.goal_event_name, athlete.goal_event_date, priority)


# What ``goal_of`` reads, as columns to select.
_GOAL_FIELDS = (_ATHLETES.goal_event_name, _ATHLETES.goal_event_date, _ATHLETES.goal_event_priority)


# The athlete, their sync state and how many activities are stored.
_HEAD_FIELDS = (
    _ATHLETES.id,
    _ATHLETES.firstname,
    _ATHLETES.lastname,
    _ATHLETES.connected,
    _ATHLETES.disconnected_reason,
    *_GOAL_FIELDS,
    _SYNC.athlete_id.label("sync_athlete_id"),
    _SYNC.last_sync_at,
    _SYNC.backfill_done,
    _SYNC.backfill_fetched,
    _SYNC.backfill_cursor,
    _SYNC.consecutive_failures,
    _SYNC.last_error,
    _SYNC.last_error_at,
    select(func.count())
    .where(_ACTIVITIES.athlete_id == bindparam("athlete_id"))
    .scalar_subquery()
    .label("stored"),
)


@cache
def _with_history(dialect: str, head: bool) -> Select[Any]:
    """The athlete's row (the head's fields, or only the goal's) with their daily load
    history (``days`` and ``loads``, for ``history_of``): one statement, one round trip.
    Under load a page's thread waits for the interpreter lock again after every round
    trip, behind the threads rendering other pages: the PostgreSQL dashboard served a
    tenth more pages a second with the history read here rather than on its own."""
    history = daily_load_query(dialect).subquery("history")
    athletes = Athlete.__table__
    if head:
        athletes = athletes.outerjoin(SyncState.__table__, _SYNC.athlete_id == _ATHLETES.id)
    return (
        select(*(_HEAD_FIELDS if head else _GOAL_FIELDS), history.c.days, history.c.loads)
        .select_from(athletes.join(history, true()))
        .where(_ATHLETES.id == bindparam("athlete_id"))
    )


def _head(
    connection: Connection, athlete_id: int
) -> tuple[AthleteView, SyncSummary, DailyLoads] | None:
    """The athlete, their sync summary and load history, or None if they are not stored."""
    query = _with_history(connection.dialect.name, head=True)
    row = fetch_first(connection, query, {"athlete_id": athlete_id})
    if row is None:
        return None
    view = AthleteView(
        row.id, row.firstname, row.lastname, row.connected, row.disconnected_reason, goal_of(row)
    )
    if row.sync_athlete_id is None:  # never synced
        sync = SyncSummary(None, False, 0, None, row.stored, 0, None, None)
    else:
        sync = SyncSummary(
            row.last_sync_at,
            row.backfill_done,
            row.backfill_fetched,
            row.backfill_cursor,
            row.stored,
            row.consecutive_failures,
            row.last_error,
            row.last_error_at,
        )
    return view, sync, history_of(row.days, row.loads)


def _rounded(values: npt.NDArray[np.float64]) -> tuple[float | None, ...]:
    # Rounded by numpy, then Python floats in one step: a round() per value took longer
    # than the fitness series itself. (numpy rounds halves to even where the decimal is
    # exact, round() by the binary value: the two differ only on ties such as 0.15.)
    return tuple(np.round(values, 1).tolist())


def performance(
    series: PerformanceSeries, today: date, key: str, goal: GoalEvent | None
) -> Performance:
    label, days = RANGES[key]
    length = len(series.load)
    first = 0 if days is None else max(0, length - days)
    # Dates from ordinals: a quarter of the time of adding a timedelta to each.
    origin = series.start.toordinal()
    day_list = list(map(date.fromordinal, range(origin + first, origin + length)))
    ctl, atl = _rounded(series.ctl[first:]), _rounded(series.atl[first:])
    tsb, load = _rounded(series.tsb[first:]), _rounded(series.load[first:])
    # A history shorter than the range still spans it: the days before it are empty.
    before = 0 if days is None else max(0, days - length)
    if before:
        day_list = [series.start - timedelta(days=i) for i in range(before, 0, -1)] + day_list
        ctl, atl, tsb, load = ((None,) * before + values for values in (ctl, atl, tsb, load))
    # An upcoming goal close enough to matter widens the chart to it, with no values yet,
    # so the athlete sees how far away it is on the same time axis.
    ahead = max(21, len(day_list) // 3)
    if goal is not None and today < goal.day <= today + timedelta(days=ahead):
        extra = (goal.day - today).days
        day_list += [today + timedelta(days=i) for i in range(1, extra + 1)]
        ctl, atl, tsb, load = (values + (None,) * extra for values in (ctl, atl, tsb, load))
    return Performance(
        key, label, tuple(day_list), load, ctl, atl, tsb, morning(series, today), goal, length
    )


def morning(series: PerformanceSeries, today: date) -> PerformanceDay:
    """Fitness and fatigue as they stood at the end of yesterday, with this morning's form:
    the numbers the coach's rules read, so the page and the advice agree."""
    now = performance_on(series, today)
    if today == series.start:
        return replace(now, ctl=series.ctl_start, atl=series.atl_start, ramp=0.0)
    before = performance_on(series, today - timedelta(days=1))
    return replace(now, ctl=before.ctl, atl=before.atl, ramp=before.ramp)


def _week_bars(series: PerformanceSeries, today: date) -> tuple[WeekBar, ...]:
    monday = today - timedelta(days=today.weekday())
    bars = []
    for weeks_back in range(WEEK_BARS - 1, -1, -1):
        start = monday - timedelta(weeks=weeks_back)
        first = max(0, (start - series.start).days)
        last = min(len(series.load), (start - series.start).days + 7)
        load = float(series.load[first:last].sum()) if last > 0 else 0.0
        bars.append(WeekBar(start, round(load, 1), weeks_back == 0))
    return tuple(bars)


class WeekRow(NamedTuple):
    """An activity as a weekly summary reads it (``coach.summaries.Summed``). A named
    tuple rather than the Row itself: a Row reads a column by name in Python, a named
    tuple in C, and the summary reads six of each row (a third of its time went to it)."""

    sport_type: str
    start_date_local: datetime
    moving_time: int
    distance: float
    total_elevation_gain: float
    load: float


# The activities a weekly summary compares, labelled as ``WeekRow`` names them: only what
# it sums, no Strava document in ``raw``, no objects to build.
_WEEK = select(
    *(
        column.label(name)
        for name, column in zip(
            WeekRow._fields,
            (
                _ACTIVITIES.sport_type,
                func.coalesce(
                    _ACTIVITIES.start_date_local, _ACTIVITIES.start_date, type_=UTCDateTime
                ),
                _ACTIVITIES.moving_time_s,
                _ACTIVITIES.distance_m,
                _ACTIVITIES.elevation_gain_m,
                func.coalesce(_ACTIVITIES.load, 0.0),
            ),
            strict=True,
        )
    )
).where(
    _ACTIVITIES.athlete_id == bindparam("athlete_id"),
    _ACTIVITIES.start_date >= bindparam("since"),
)
_RECENT = newest_first_of(select(*LINE_FIELDS), bindparam("athlete_id"), limit=RECENT_ACTIVITIES)


def compared_since(today: date) -> datetime:
    """From when a weekly summary of ``today``'s week needs activities: the Monday
    ``COMPARE_WEEKS`` weeks back, a day early for local start times west of UTC."""
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday - timedelta(weeks=COMPARE_WEEKS, days=1), time(), UTC)


def week_rows(connection: Connection, athlete_id: int, today: date) -> list[WeekRow]:
    """The activities a weekly summary of ``today``'s week compares."""
    values = {"athlete_id": athlete_id, "since": compared_since(today)}
    return list(map(WeekRow._make, fetch(connection, _WEEK, values)))


def _week(rows: list[WeekRow], today: date) -> PeriodSummary:
    return weekly_summary(
        rows,
        [row.load for row in rows],
        week_of=today,
        compare_weeks=COMPARE_WEEKS,
    )


class LineFields(Protocol):
    """What ``activity_line`` reads: an ``Activity``, or a row of ``LINE_FIELDS``."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def sport_type(self) -> str: ...
    @property
    def start_date(self) -> datetime: ...
    @property
    def start_date_local(self) -> datetime | None: ...
    @property
    def moving_time_s(self) -> int: ...
    @property
    def distance_m(self) -> float: ...
    @property
    def elevation_gain_m(self) -> float: ...
    @property
    def load(self) -> float | None: ...
    @property
    def load_method(self) -> str | None: ...


def activity_line(row: LineFields) -> ActivityLine:
    short, long = method_label(row.load_method)
    return ActivityLine(
        row.id,
        row.name,
        row.sport_type,
        row.start_date_local or row.start_date,
        row.moving_time_s,
        row.distance_m,
        row.elevation_gain_m,
        row.load,
        short,
        long,
    )


@dataclass(frozen=True)
class DashboardReads:
    """What the dashboard reads from the store, before any of it is computed."""

    view: AthleteView
    sync: SyncSummary
    history: DailyLoads
    week: list[WeekRow]
    recent: Sequence[LineFields]


def read_dashboard(connection: Connection, athlete_id: int, today: date) -> DashboardReads | None:
    """The dashboard's three reads, or None if the athlete is not stored. Only reads: the
    computing is ``dashboard``'s, so that a page read's turn (``AppState.page_read``) is
    held for the database alone and the next page's reads start while this one computes."""
    head = _head(connection, athlete_id)
    if head is None:
        return None
    view, sync, history = head
    week = week_rows(connection, athlete_id, today)
    recent = fetch(connection, _RECENT, {"athlete_id": athlete_id})
    return DashboardReads(view, sync, history, week, recent)


def dashboard(reads: DashboardReads, today: date, key: str | None) -> Overview:
    """Everything the dashboard shows, from its reads, the chart for range ``key`` (the
    default range when it names none)."""
    series = reads.history.series_until(today)
    goal = reads.view.goal
    return Overview(
        reads.view,
        performance(series, today, range_key(key), goal),
        _week(reads.week, today),
        _week_bars(series, today),
        tuple(activity_line(row) for row in reads.recent),
        recommend(series, today=today, goal=goal),
        reads.sync,
    )


@dataclass(frozen=True)
class GoalHistory:
    """What the chart and the coach read before computing: the goal and the history."""

    goal: GoalEvent | None
    history: DailyLoads


def read_goal_history(connection: Connection, athlete_id: int) -> GoalHistory | None:
    """The athlete's goal and load history, or None if they are not stored. Only reads,
    as ``read_dashboard``: the series is computed after the page read's turn."""
    query = _with_history(connection.dialect.name, head=False)
    row = fetch_first(connection, query, {"athlete_id": athlete_id})
    if row is None:
        return None
    return GoalHistory(goal_of(row), history_of(row.days, row.loads))


def performance_only(reads: GoalHistory, today: date, key: str | None) -> Performance:
    """The fitness chart alone, for another range."""
    return performance(reads.history.series_until(today), today, range_key(key), reads.goal)


@dataclass(frozen=True)
class CoachInputs:
    """What the narrator is grounded in: the series, this week, the rule engine's findings."""

    today: date
    series: PerformanceSeries
    week: PeriodSummary
    recommendations: tuple[Recommendation, ...]
    goal: GoalEvent | None


def coach_inputs(reads: GoalHistory, week: list[WeekRow], today: date) -> CoachInputs:
    """The coach page's inputs, from its reads (``read_goal_history``, ``week_rows``)."""
    series = reads.history.series_until(today)
    return CoachInputs(
        today,
        series,
        _week(week, today),
        recommend(series, today=today, goal=reads.goal),
        reads.goal,
    )
