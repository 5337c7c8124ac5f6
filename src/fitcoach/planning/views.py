"""The plan and a session as the pages show them: weeks with their days, sessions,
totals against targets, and a session's steps as a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from fitcoach.coach import PlannedWeek, SessionCompliance, Status
from fitcoach.coach.workouts import Workout, WorkoutType, duration_range, workout_types
from fitcoach.planning.service import PlannedSession, PlanSpan

# Weeks the plan page shows in full: this one and the next three.
WEEKS_SHOWN: Final = 4
STATUS_TEXT: Final = {
    Status.DONE: "done",
    Status.PARTLY_DONE: "partly done",
    Status.MISSED: "missed",
    Status.EXTRA: "extra",
    Status.MOVED: "moved",
    Status.UPCOMING: "planned",
}
CHART_WIDTH: Final = 1000
CHART_HEIGHT: Final = 160
# A step at this share of the threshold fills the chart's height (sprints go past it and
# are drawn at the top).
CHART_TOP: Final = 1.5


@dataclass(frozen=True)
class SessionView:
    id: int
    name: str
    sport: str
    minutes: int
    load: float
    status: str
    status_key: str
    why: str
    locked: bool
    changeable: bool
    done: str | None


@dataclass(frozen=True)
class DayView:
    day: date
    label: str
    phase: str
    today: bool
    sessions: tuple[SessionView, ...]
    extra: tuple[str, ...]
    rest_why: str | None


@dataclass(frozen=True)
class WeekView:
    start: date
    kind: str
    phase: str
    target_load: float
    planned_load: float
    done_load: float
    planned_h: float
    available_h: float
    days: tuple[DayView, ...]
    limit_note: str | None = None  # why the target stands under what the week asks for


def _done_text(c: SessionCompliance | None) -> str | None:
    if c is None or c.status is Status.UPCOMING or c.status is Status.MISSED:
        return None
    load = f"load {c.done_load:.0f}"
    ratio = f" ({c.load_ratio:.0%} of the plan)" if c.load_ratio is not None else ""
    when = f" on {c.done_day:%a %d %b}" if c.status is Status.MOVED and c.done_day else ""
    return f"{round(c.done_s / 60)} min, {load}{ratio}{when}"


def _session(s: PlannedSession, today: date) -> SessionView:
    w = s.day.workout
    status = s.compliance.status if s.compliance else Status.UPCOMING
    return SessionView(
        s.id,
        w.name,
        w.sport,
        round(w.duration_s / 60),
        w.load,
        STATUS_TEXT[status],
        status.value,
        s.day.reason.text,
        s.day.locked,
        s.day.day >= today and status is Status.UPCOMING,
        _done_text(s.compliance),
    )


def weeks_view(span: PlanSpan, today: date, weeks: int = WEEKS_SHOWN) -> list[WeekView]:
    """This week and the next ``weeks - 1`` of the plan, day by day."""
    monday = today - timedelta(days=today.weekday())
    last = monday + timedelta(weeks=weeks) - timedelta(days=1)
    out: list[WeekView] = []
    for week in span.plan.weeks:
        if week.start < monday or week.start > last:
            continue
        out.append(_week(week, span, today))
    return out


def _week(week: PlannedWeek, span: PlanSpan, today: date) -> WeekView:
    days: list[DayView] = []
    done = 0.0
    for p in week.days:
        sessions = tuple(_session(s, today) for s in span.sessions.get(p.day, ()))
        extra = tuple(
            f"unplanned {c.sport}: {round(c.done_s / 60)} min, load {c.done_load:.0f}"
            for c in span.extra.get(p.day, ())
        )
        for s in span.sessions.get(p.day, ()):
            if s.compliance is not None:
                done += s.compliance.done_load
        done += sum(c.done_load for c in span.extra.get(p.day, ()))
        rest = p.reason.text if p.workout.type is WorkoutType.REST else None
        days.append(
            DayView(
                p.day, f"{p.day:%a %d %b}", p.phase.value, p.day == today, sessions, extra, rest
            )
        )
    return WeekView(
        week.start,
        week.kind.value,
        week.phase.value,
        week.target_load,
        week.planned_load,
        done,
        week.planned_s / 3600,
        week.available_s / 3600,
        tuple(days),
        None if week.limit_reason is None else week.limit_reason.text,
    )


@dataclass(frozen=True)
class OutlineWeek:
    start: date
    kind: str
    phase: str
    target_load: float
    hours: float


def outline(span: PlanSpan) -> list[OutlineWeek]:
    """Every week of the plan in a line: its block, kind and target."""
    return [
        OutlineWeek(w.start, w.kind.value, w.phase.value, w.target_load, w.planned_s / 3600)
        for w in span.plan.weeks
    ]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str
    label: str


def step_chart(workout: Workout) -> list[Bar]:
    """Each step as a bar: as wide as its share of the time, as high as its intensity."""
    steps = list(workout.steps())
    total = sum(s.duration_s for s in steps) or 1.0
    bars: list[Bar] = []
    x = 0.0
    for s in steps:
        width = CHART_WIDTH * s.duration_s / total
        height = CHART_HEIGHT * min(s.fraction, CHART_TOP) / CHART_TOP
        height = max(height, 2.0)
        label = f"{s.name}: {round(s.duration_s / 60, 1):g} min, {s.target.label}"
        bars.append(
            Bar(
                round(x, 2),
                round(CHART_HEIGHT - height, 2),
                round(width, 2),
                round(height, 2),
                s.kind.value,
                label,
            )
        )
        x += width
    return bars


@dataclass(frozen=True)
class TypeChoice:
    value: str
    label: str
    shortest: int
    longest: int


def type_choices(sport: str) -> list[TypeChoice]:
    """The library's workouts of a sport (rest is Skip), with their duration ranges."""
    out: list[TypeChoice] = []
    for kind in workout_types(sport):
        if kind is WorkoutType.REST:
            continue
        low, high = duration_range(sport, kind)
        out.append(TypeChoice(kind.value, kind.value.replace("_", " ").capitalize(), low, high))
    return out


@dataclass(frozen=True)
class SwapChoice:
    id: int
    label: str


def swap_choices(span: PlanSpan, workout_id: int, today: date) -> list[SwapChoice]:
    """The other sessions still to come in the span, to swap days with."""
    return [
        SwapChoice(s.id, f"{s.day.day:%a %d %b}: {s.day.workout.name}")
        for day, sessions in sorted(span.sessions.items())
        for s in sessions
        if s.id != workout_id and day >= today
    ]
