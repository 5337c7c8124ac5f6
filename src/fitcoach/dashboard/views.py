"""What the dashboard, the fitness chart and the coach page show: computed with the
coach's maths from what ``dashboard.queries`` read, as plain frozen data for templates.
No reads here: a page computes after its read turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from fitcoach.activities.queries import EventLeg, WeekRow
from fitcoach.athletes.views import goal_of
from fitcoach.coach import (
    GoalEvent,
    PerformanceDay,
    PerformanceSeries,
    PeriodSummary,
    Projection,
    Recommendation,
    daily_numbers,
    day_number,
    project,
    recommend,
    weekly_summary,
)
from fitcoach.dashboard.queries import (
    COMPARE_WEEKS,
    DashboardReads,
    GoalHistory,
    HeadRow,
)

RANGES: dict[str, tuple[str, int | None]] = {
    "90d": ("90 days", 90),
    "6m": ("6 months", 182),
    "1y": ("1 year", 365),
    "all": ("All", None),
}
DEFAULT_RANGE = "90d"
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
# Form (TSB) zones, shaded on the fitness chart and explained beside it: (low, high,
# name, meaning), None for open ends. The bands of intervals.icu's fitness chart, whose
# −10 to −30 "optimal" and below −30 "high risk" are the practitioner guidance the coach's
# form rule follows (docs/metrics.md, "Form zones").
FORM_ZONES: tuple[tuple[float | None, float | None, str, str], ...] = (
    (25.0, None, "Transition", "very fresh: fitness is fading, fine only for a short break"),
    (5.0, 25.0, "Fresh", "rested and ready to race"),
    (-10.0, 5.0, "Grey zone", "neither rested nor training hard enough to build fitness"),
    (-30.0, -10.0, "Optimal training", "the fatigue that builds fitness"),
    (None, -30.0, "High risk", "fatigue well above fitness: rest before it costs you"),
)
NOT_COMPUTED = ("pending", "The load is computed shortly after the activity arrives")


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
    # The mornings after today up to the goal (None before today), when a goal is in view.
    projection: Projection | None = None
    projected_ctl: tuple[float | None, ...] = ()
    projected_atl: tuple[float | None, ...] = ()
    projected_tsb: tuple[float | None, ...] = ()

    @property
    def form_zones(self) -> tuple[tuple[float | None, float | None, str, str], ...]:
        return FORM_ZONES

    @property
    def race_day_form(self) -> float | None:
        """The projected form on the goal's morning, as the chart's dashed line ends."""
        if self.projection is None or self.goal is None:
            return None
        return round(float(self.projection.form[-1]), 1)

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
            "projected": None
            if self.projection is None
            else {
                "ctl": list(self.projected_ctl),
                "atl": list(self.projected_atl),
                "tsb": list(self.projected_tsb),
            },
            "zones": [
                {"low": low, "high": high, "name": name} for low, high, name, _ in FORM_ZONES
            ],
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
    # The activity on Strava, when Strava confirmed it is one of the athlete's there.
    strava_url: str | None
    name: str
    sport_type: str
    start: datetime
    moving_time_s: int
    distance_m: float
    elevation_m: float
    load: float | None
    method: str
    method_text: str
    # Its place in a multisport event (legs of one file), if it is a leg of one.
    event: EventLeg | None = None


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
    # The backfill's pace and its end: when it began, the newest start it saw, and when
    # the Strava account began (older than that there is nothing).
    backfill_started_at: datetime | None = None
    newest_fetched: datetime | None = None
    history_start: datetime | None = None
    # The latest load recompute (after a threshold change): total, done, asked, finished.
    recompute_total: int | None = None
    recompute_done: int = 0
    recompute_requested_at: datetime | None = None
    recompute_finished_at: datetime | None = None


@dataclass(frozen=True)
class RecomputeProgress:
    """A load recompute under way: how many of how many, and the time left."""

    done: int
    total: int | None  # None: the worker has not counted them yet
    seconds_left: float | None


def recompute_progress(sync: SyncSummary, now: datetime) -> RecomputeProgress | None:
    """The recompute after a threshold change while it runs (None when none runs), with
    the time left at the pace so far (activities a second since it was asked for)."""
    if sync.recompute_requested_at is None or sync.recompute_finished_at is not None:
        return None
    total, done = sync.recompute_total, sync.recompute_done
    elapsed = (now - sync.recompute_requested_at).total_seconds()
    left = None
    if total is not None and done > 0 and elapsed > 0:
        left = max(total - done, 0) * elapsed / done
    return RecomputeProgress(done, total, left)


@dataclass(frozen=True)
class BackfillProgress:
    """How far the Strava history's import is, and an estimate of what is left."""

    fetched: int
    reached: datetime | None  # the oldest start fetched so far
    history_start: datetime | None
    share_done: float | None  # of the history's span, 0..1
    more: int | None  # activities still to come, at the density so far
    seconds_left: float | None  # at the pace so far


# The pace of the first minute says little (the first page goes at once, the next ones
# wait for the budget): no time left is estimated before this.
PACE_AFTER_S = 60.0


def backfill_progress(sync: SyncSummary, now: datetime) -> BackfillProgress | None:
    """The import's progress (None once it is done): the count and date reached, and
    from the pace so far (history covered per second since it began) the activities and
    time left until the day the Strava account began."""
    if sync.backfill_done:
        return None
    reached, newest, start = sync.oldest_fetched, sync.newest_fetched, sync.history_start
    share = more = left = None
    if reached is not None and newest is not None and start is not None:
        total = (newest - start).total_seconds()
        covered = (newest - reached).total_seconds()
        remaining = max((reached - start).total_seconds(), 0.0)
        if total > 0:
            share = min(max(covered / total, 0.0), 1.0)
        if covered > 0:
            more = round(sync.backfill_fetched * remaining / covered)
        began = sync.backfill_started_at
        elapsed = (now - began).total_seconds() if began is not None else 0.0
        if covered > 0 and elapsed >= PACE_AFTER_S:
            left = remaining * elapsed / covered
    return BackfillProgress(sync.backfill_fetched, reached, start, share, more, left)


@dataclass(frozen=True)
class AthleteView:
    id: int
    firstname: str
    lastname: str
    # Whether the account has a Strava connection at all, and whether its access stands.
    has_strava: bool
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
    # Why the coach gives no advice yet (the history is still arriving), or None.
    waiting: str | None = None


def _athlete_and_sync(head: HeadRow) -> tuple[AthleteView, SyncSummary]:
    view = AthleteView(
        head.id,
        head.firstname,
        head.lastname,
        head.has_strava,
        bool(head.connected),
        head.disconnected_reason,
        goal_of(head),
    )
    if not head.synced:
        return view, SyncSummary(
            None,
            False,
            0,
            None,
            head.stored,
            0,
            None,
            None,
            recompute_total=head.recompute_total,
            recompute_done=head.recompute_done or 0,
            recompute_requested_at=head.recompute_requested_at,
            recompute_finished_at=head.recompute_finished_at,
        )
    return view, SyncSummary(
        head.last_sync_at,
        bool(head.backfill_done),
        head.backfill_fetched or 0,
        head.backfill_cursor,
        head.stored,
        head.consecutive_failures or 0,
        head.last_error,
        head.last_error_at,
        head.backfill_started_at,
        head.newest_activity_at,
        head.history_starts_at,
        head.recompute_total,
        head.recompute_done or 0,
        head.recompute_requested_at,
        head.recompute_finished_at,
    )


def _rounded(values: npt.NDArray[np.float64]) -> tuple[float | None, ...]:
    # Rounded by numpy, then Python floats in one step: a round() per value took longer
    # than the fitness series itself. (numpy rounds halves to even where the decimal is
    # exact, round() by the binary value: the two differ only on ties such as 0.15.)
    return tuple(np.round(values, 1).tolist())


def performance(
    series: PerformanceSeries, today: date, key: str, goal: GoalEvent | None
) -> Performance:
    label, days = RANGES[key]
    numbers = daily_numbers(series)  # one definition of each day's numbers, everywhere
    length = len(series.load)
    first = 0 if days is None else max(0, length - days)
    # Dates from ordinals: a quarter of the time of adding a timedelta to each.
    origin = series.start.toordinal()
    day_list = list(map(date.fromordinal, range(origin + first, origin + length)))
    ctl, atl = _rounded(numbers.fitness[first:]), _rounded(numbers.fatigue[first:])
    tsb, load = _rounded(numbers.form[first:]), _rounded(numbers.load[first:])
    # A history shorter than the range still spans it: the days before it are empty.
    before = 0 if days is None else max(0, days - length)
    if before:
        day_list = [series.start - timedelta(days=i) for i in range(before, 0, -1)] + day_list
        ctl, atl, tsb, load = ((None,) * before + values for values in (ctl, atl, tsb, load))
    # An upcoming goal close enough to matter widens the chart to it, with no values yet,
    # so the athlete sees how far away it is on the same time axis.
    # Its days carry the projection (coach.project: the recent load kept, then the taper
    # the coach advises), drawn apart from what was measured; today's morning joins them.
    ahead = max(21, len(day_list) // 3)
    projection = None
    projected: list[tuple[float | None, ...]] = [(), (), ()]
    if goal is not None and today < goal.day <= today + timedelta(days=ahead):
        extra = (goal.day - today).days
        day_list += [today + timedelta(days=i) for i in range(1, extra + 1)]
        ctl, atl, tsb, load = (values + (None,) * extra for values in (ctl, atl, tsb, load))
        projection = project(series, today, goal.day, goal)
        past = (None,) * (len(day_list) - extra - 1)
        projected = [
            past + _rounded(values)
            for values in (projection.fitness, projection.fatigue, projection.form)
        ]
    return Performance(
        key,
        label,
        tuple(day_list),
        load,
        ctl,
        atl,
        tsb,
        numbers.on(today),
        goal,
        length,
        projection,
        *projected,
    )


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


def week_summary(rows: Sequence[WeekRow], today: date) -> PeriodSummary:
    """This week against the weeks before it, from the rows ``week_rows`` read."""
    return weekly_summary(
        rows,
        [row.load for row in rows],
        week_of=today,
        compare_weeks=COMPARE_WEEKS,
        to_date=True,  # a week under way against the same days of the weeks before
    )


class LineFields(Protocol):
    """What ``activity_line`` reads: an ``Activity``, or an ``ActivityLineRow``."""

    @property
    def id(self) -> int: ...
    @property
    def strava_id(self) -> int | None: ...
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


def activity_line(row: LineFields, event: EventLeg | None = None) -> ActivityLine:
    short, long = method_label(row.load_method)
    return ActivityLine(
        row.id,
        None if row.strava_id is None else f"https://www.strava.com/activities/{row.strava_id}",
        row.name,
        row.sport_type,
        row.start_date_local or row.start_date,
        row.moving_time_s,
        row.distance_m,
        row.elevation_gain_m,
        row.load,
        short,
        long,
        event,
    )


def dashboard(reads: DashboardReads, today: date, key: str | None) -> Overview:
    """Everything the dashboard shows, from its reads, the chart for range ``key`` (the
    default range when it names none)."""
    series = reads.history.series_until(today)
    view, sync = _athlete_and_sync(reads.head)
    waiting = coach_waits(view, sync, reads.history.first(), today)
    return Overview(
        view,
        performance(series, today, range_key(key), view.goal),
        week_summary(reads.week, today),
        _week_bars(series, today),
        tuple(activity_line(row, reads.events.get(row.id)) for row in reads.recent),
        () if waiting else recommend(series, today=today, goal=view.goal),
        sync,
        waiting,
    )


# Days of history the coach's trends need before it advises (RuleSettings' default).
ENOUGH_HISTORY_DAYS = 42


def coach_waits(
    athlete: AthleteView, sync: SyncSummary, first: date | None, today: date
) -> str | None:
    """Why the coach holds its advice, in words, or None when it can advise: while the
    Strava history is still being imported its numbers are not the athlete's yet, and
    with no history at all there is nothing to advise on."""
    if athlete.has_strava and not sync.backfill_done:
        so_far = (
            f"{sync.backfill_fetched:,} activities so far"
            + (f", back to {sync.oldest_fetched:%d %b %Y}" if sync.oldest_fetched else "")
            if sync.backfill_fetched
            else "no activities yet"
        )
        return (
            f"The coach waits for your history: it is still being imported from Strava "
            f"({so_far}), and fitness, fatigue and form count every past day. Advice "
            f"starts once the import is done."
        )
    if first is None:
        return "The coach has nothing to go on yet: no activities are stored."
    days = (today - first).days
    if days < ENOUGH_HISTORY_DAYS:
        return (
            f"The coach needs about {ENOUGH_HISTORY_DAYS} days of history to read trends; "
            f"yours covers {days + 1}. Until then fitness and fatigue are still being "
            f"learned, and the coach holds its advice."
        )
    return None


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
    # False while no activity (or carried load) is stored: the numbers are then no facts.
    has_history: bool = True


def coach_inputs(reads: GoalHistory, week: Sequence[WeekRow], today: date) -> CoachInputs:
    """The coach page's inputs, from its reads (``read_goal_history``, ``week_rows``)."""
    series = reads.history.series_until(today)
    return CoachInputs(
        today,
        series,
        week_summary(week, today),
        recommend(series, today=today, goal=reads.goal),
        reads.goal,
        reads.history.first() is not None,
    )
