"""The MCP server's tools: each a plain function of a ``ToolContext`` and typed arguments,
kept in one registry with its name, description and whether it changes anything.

The server (``fitcoach.mcp.server``) exposes each entry; a read token may call only those
whose ``writes`` is False. Every tool reads only the sources the language-model policy
allows (``narrator.policy``) and says in ``withheld`` when data was left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from fitcoach.activities.queries import daily_load_history, week_rows
from fitcoach.athletes.repository import get_athlete
from fitcoach.athletes.thresholds import (
    activity_day,
    athlete_settings,
    coach_activity,
    entries_of,
    resolved_on,
)
from fitcoach.coach import (
    CoachError,
    DailyNumbers,
    PeriodSummary,
    ResolvedThresholds,
    SportSummary,
    Streams,
    activity_load,
    activity_zone_times,
    daily_numbers,
    performance_series,
    weekly_summary,
)
from fitcoach.dashboard.queries import COMPARE_WEEKS
from fitcoach.dashboard.views import method_label
from fitcoach.mcp import queries
from fitcoach.mcp.context import ToolContext, ToolSpec
from fitcoach.mcp.effort_tools import lookback_start
from fitcoach.mcp.errors import ToolRefused
from fitcoach.mcp.schemas import (
    ActivityItem,
    ActivityList,
    ActivitySummary,
    FitnessAndForm,
    FitnessDay,
    SportWeek,
    WeekSummary,
    ZoneBreakdown,
    ZoneShare,
)
from fitcoach.models import Activity
from fitcoach.narrator.policy import WITHHELD

# The longest range one call may ask for: a year of days is about 40 KB of answer.
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 42
MAX_ACTIVITIES = 100
THRESHOLD_MONTHS = 6
# The streams the coach's zone maths reads (the activity page keeps the same ones).
STREAM_KEYS = ("time", "watts", "heartrate", "velocity_smooth", "altitude", "grade_smooth")


def _range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    last = end or today
    first = start or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if last > today:
        raise ToolRefused(
            f"end {last} is after today ({today}): fitness is known up to this morning"
        )
    if first > last:
        raise ToolRefused(f"start {first} is after end {last}")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ToolRefused(
            f"the range {first} to {last} is longer than {MAX_RANGE_DAYS} days; ask for a "
            "shorter one"
        )
    return first, last


def fitness_and_form(
    context: ToolContext, start: date | None = None, end: date | None = None
) -> FitnessAndForm:
    first, last = _range(start, end, context.today)
    with context.sessions() as session:
        history = daily_load_history(session, context.athlete_id, context.sources)
        provenance = context.provenance(session)
    empty: dict[str, list[Any]] = {
        key: [] for key in ("days", "load", "fitness", "fatigue", "form", "ramp")
    }
    if history.first() is None:
        return FitnessAndForm(start=first, end=last, today=None, **empty, **provenance)
    # From the range's start when it is before the first activity: those days count as
    # days without training, as the chart shows them.
    origin = min(history.first() or first, first)
    numbers = daily_numbers(performance_series(history.totals(origin, context.today), origin))
    lo, hi = (first - origin).days, (last - origin).days + 1

    def column(values: Any) -> list[float]:
        rounded: list[float] = np.round(values[lo:hi], 1).tolist()
        return rounded

    return FitnessAndForm(
        start=first,
        end=last,
        today=_day(context.today, numbers, (context.today - origin).days),
        days=[first + timedelta(days=i) for i in range(hi - lo)],
        load=column(numbers.load),
        fitness=column(numbers.fitness),
        fatigue=column(numbers.fatigue),
        form=column(numbers.form),
        ramp=column(numbers.ramp),
        **provenance,
    )


def _day(day: date, numbers: DailyNumbers, i: int) -> FitnessDay:
    return FitnessDay(
        day=day,
        load=round(float(numbers.load[i]), 1),
        fitness=round(float(numbers.fitness[i]), 1),
        fatigue=round(float(numbers.fatigue[i]), 1),
        form=round(float(numbers.form[i]), 1),
        ramp=round(float(numbers.ramp[i]), 1),
    )


def week_summary(context: ToolContext, week_of: date | None = None) -> WeekSummary:
    day = week_of or context.today
    if day > context.today:
        raise ToolRefused(f"{day} is after today ({context.today}): that week has no data yet")
    monday = day - timedelta(days=day.weekday())
    since = datetime.combine(monday - timedelta(weeks=COMPARE_WEEKS, days=1), time(), UTC)
    with context.sessions() as session:
        rows = [
            row
            for row in week_rows(session, context.athlete_id, since, context.sources)
            if row.start_date_local.date() <= monday + timedelta(days=6)
        ]
        provenance = context.provenance(session)
    summary = weekly_summary(
        rows, [row.load for row in rows], week_of=day, compare_weeks=COMPARE_WEEKS
    )
    return _week(summary, provenance)


def _week(summary: PeriodSummary, provenance: Mapping[str, Any]) -> WeekSummary:
    def sport(item: SportSummary) -> SportWeek:
        now, mean = item.current, item.recent_average
        return SportWeek(
            sport=item.sport,
            count=now.count,
            moving_time_h=round(now.moving_time_s / 3600, 2),
            distance_km=round(now.distance_m / 1000, 2),
            elevation_m=round(now.elevation_m),
            load=round(now.load, 1),
            average_count=round(mean.count, 2),
            average_moving_time_h=round(mean.moving_time_s / 3600, 2),
            average_distance_km=round(mean.distance_m / 1000, 2),
            average_load=round(mean.load, 1),
        )

    return WeekSummary(
        start=summary.start,
        end=summary.end,
        compared_weeks=summary.compared_periods,
        total=sport(summary.total),
        sports=[sport(item) for item in summary.sports],
        **provenance,
    )


def _item(row: queries.ActivityItemRow | Activity) -> ActivityItem:
    return ActivityItem(
        id=row.id,
        name=row.name,
        sport_type=row.sport_type,
        start_local=row.start_date_local or row.start_date,
        moving_time_s=row.moving_time_s,
        distance_km=round(row.distance_m / 1000, 2),
        elevation_m=round(row.elevation_gain_m),
        load=None if row.load is None else round(row.load, 1),
        load_method=row.load_method,
        source=row.source,
    )


def list_activities(
    context: ToolContext,
    start: date | None = None,
    end: date | None = None,
    sport_types: list[str] | None = None,
    min_distance_km: float | None = None,
    limit: int = 20,
) -> ActivityList:
    if not 1 <= limit <= MAX_ACTIVITIES:
        raise ToolRefused(f"limit must be between 1 and {MAX_ACTIVITIES}")
    if start is not None and end is not None and start > end:
        raise ToolRefused(f"start {start} is after end {end}")
    if min_distance_km is not None and min_distance_km < 0:
        raise ToolRefused("min_distance_km cannot be negative")
    with context.sessions() as session:
        rows = queries.filtered_activities(
            session,
            context.athlete_id,
            context.sources,
            after=None if start is None else _midnight(start),
            before=None if end is None else _midnight(end + timedelta(days=1)),
            sport_types=sport_types,
            min_distance_m=None if min_distance_km is None else min_distance_km * 1000,
            limit=limit + 1,
        )
        provenance = context.provenance(session)
    return ActivityList(
        activities=[_item(row) for row in rows[:limit]], more=len(rows) > limit, **provenance
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def get_activity(context: ToolContext, activity_id: int) -> ActivitySummary:
    with context.sessions() as session:
        row = queries.activity_of(session, context.athlete_id, activity_id)
        if row is None:
            raise ToolRefused(f"there is no activity {activity_id} of this athlete")
        if row.source not in context.sources:
            raise ToolRefused(
                f"activity {activity_id} came from Strava's API. {WITHHELD} Ask for one "
                "recorded in the athlete's own files."
            )
        streams = queries.streams_for(session, activity_id)
        # Zones need the thresholds, estimated from the whole history: only with streams.
        # Those in force on the activity's day, as its load was scored with.
        resolved = _thresholds_on(session, context, activity_day(row)) if streams else None
        provenance = context.provenance(session)
        summary = coach_activity(row)
        item = _item(row)
        fields = {
            "elapsed_time_s": row.elapsed_time_s,
            "average_watts": row.average_watts,
            "weighted_average_watts": row.weighted_average_watts,
            "average_heartrate": row.average_heartrate,
            "max_heartrate": row.max_heartrate,
            "average_speed_m_s": row.average_speed,
            "kilojoules": row.kilojoules,
            "trainer": row.trainer,
            "commute": row.commute,
        }
    explanation = method_label(row.load_method)[1]
    zones: list[ZoneBreakdown] = []
    coach_streams = _streams(streams)
    if coach_streams is not None and resolved is not None:
        thresholds = resolved.as_thresholds()
        try:
            with_streams = replace(summary, streams=coach_streams)
            explanation = activity_load(with_streams, thresholds).explanation
            zones = _zones(activity_zone_times(with_streams, thresholds))
        except CoachError:
            zones = []  # malformed streams: the summary still answers
    return ActivitySummary(
        activity=item, load_explanation=explanation, zones=zones, **fields, **provenance
    )


def _streams(stored: Mapping[str, Sequence[float | None]] | None) -> Streams | None:
    if not stored:
        return None
    usable = {key: list(values) for key, values in stored.items() if key in STREAM_KEYS}
    if not usable or len({len(values) for values in usable.values()}) != 1:
        return None
    try:
        return Streams(**usable)
    except CoachError:
        return None


def _zones(times: Mapping[str, Sequence[Any]]) -> list[ZoneBreakdown]:
    result = []
    for kind, zone_times in times.items():
        total = sum(zone.seconds for zone in zone_times) or 1.0
        result.append(
            ZoneBreakdown(
                kind=kind,
                zones=[
                    ZoneShare(
                        label=zone.zone.label,
                        seconds=round(zone.seconds),
                        share=round(zone.seconds / total, 3),
                    )
                    for zone in zone_times
                ],
            )
        )
    return result


def _thresholds_on(session: Session, context: ToolContext, day: date) -> ResolvedThresholds:
    athlete = get_athlete(session, context.athlete_id)
    if athlete is None:
        raise ToolRefused("this athlete no longer exists")
    rows = queries.threshold_summaries(
        session, context.athlete_id, context.sources, lookback_start(day, context.zone)
    )
    return resolved_on(
        athlete_settings(athlete),
        entries_of(session, athlete),
        [coach_activity(row) for row in rows],
        day,
    )


READ_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "get_fitness_and_form",
        fitness_and_form,
        "The athlete's fitness (CTL), fatigue (ATL) and form (TSB) for each day from start "
        "to end (ISO dates, at most 366 days; default the last 42 days up to today), as of "
        "each morning, plus today's. Use it to say how fit or tired the athlete is, or how "
        "their fitness moved. Form below about -30 means overreaching; above +5 fresh.",
    ),
    ToolSpec(
        "get_week_summary",
        week_summary,
        "Totals of the week (Monday to Sunday) holding week_of (an ISO date; default today) "
        "per sport family and for all sports together (count, hours, km, elevation, load), "
        "each against the average of the 4 weeks before. Use it for 'how is my week going'.",
    ),
    ToolSpec(
        "list_activities",
        list_activities,
        "The athlete's activities newest first, optionally between start and end (ISO dates, "
        "inclusive, the athlete's local days), of the given Strava sport_types (e.g. Ride, "
        "Run, Swim, VirtualRide, TrailRun) and at least min_distance_km long; at most limit "
        "(1-100, default 20). Each has an id to pass to get_activity.",
    ),
    ToolSpec(
        "get_activity",
        get_activity,
        "One activity by its id (from list_activities): duration, distance, power, heart "
        "rate, speed, its training load and how it was computed, and time in power, "
        "heart-rate and pace zones when its recorded streams are stored.",
    ),
)
