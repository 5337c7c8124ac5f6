"""The planning domain's decisions: set a goal and the time available, re-plan from what
was done, the athlete's own changes (skip, move, swap, add), and what the plan looks like
for a span of days with each session's compliance.

Plain functions over a SQLAlchemy session and the athlete's id; the caller owns the
transaction (``core.db.transaction``). The pages, the CLI, the task and other tools call
these same functions. The maths is ``fitcoach.coach`` (docs/planning.md).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session, sessionmaker

from fitcoach import coach
from fitcoach.activities.queries import daily_load_history
from fitcoach.athletes.local_day import athlete_now, athlete_today, latest_today
from fitcoach.athletes.thresholds import thresholds_for
from fitcoach.coach import (
    Availability,
    CoachError,
    ComplianceReport,
    Done,
    DoneLoad,
    GoalEvent,
    Plan,
    PlannedDay,
    PlanRequest,
    SessionCompliance,
    Status,
    adapt_plan,
    compliance,
    daily_numbers,
    plan_training,
)
from fitcoach.coach.season import ADAPT_WHEN_OFF_BY
from fitcoach.coach.workouts import PLANNED_SPORTS, Repeat, Step, Workout, WorkoutType, rest_workout
from fitcoach.core.db import transaction
from fitcoach.core.errors import FitcoachError
from fitcoach.models import PlannedWorkout, TrainingPlan
from fitcoach.planning import repository
from fitcoach.planning.codec import (
    change_json,
    pack,
    plan_json,
    plan_of,
    rebuild,
    unpack,
    workout_minutes,
)
from fitcoach.planning.errors import FeedNotFound, NoPlan, PlanInputError, WorkoutNotFound
from fitcoach.planning.schemas import GoalSettings

log = logging.getLogger("fitcoach.planning")

FEED_TOKEN_BYTES: Final = 24
# The pages and the API show at most this many days at once.
MAX_SPAN_DAYS: Final = 400


def new_feed_token() -> str:
    return secrets.token_urlsafe(FEED_TOKEN_BYTES)


# ---------------------------------------------------------------------------------------
# Loading and storing plan versions.


def current_plan(session: Session, athlete_id: int) -> Plan:
    """The athlete's plan as its newest version stands."""
    found = repository.latest_version(session, athlete_id)
    if found is None:
        raise NoPlan("You have no training plan yet.")
    return plan_of(unpack(found.packed_document))


def _row(session: Session, athlete_id: int) -> TrainingPlan:
    row = repository.plan_of(session, athlete_id, for_update=True)
    if row is None:
        raise NoPlan("You have no training plan yet.")
    return row


def _store(
    session: Session, row: TrainingPlan, plan: Plan, cause: str, note: str, now: datetime
) -> Plan:
    """Keep ``plan`` as the next version and make its sessions the current ones; a session
    unchanged from the version before keeps its id."""
    version = row.version + 1
    plan = replace(plan, version=version)
    row.version = version
    row.checked_on = now.date()
    changes = [change_json(c) for c in plan.changes]
    repository.add_version(
        session,
        row.athlete_id,
        version,
        plan.as_of,
        now,
        cause,
        note,
        changes,
        pack(plan_json(plan)),
    )
    th = plan.request.thresholds
    existing = {
        (w.day, w.sport, w.workout_type, w.minutes): w
        for w in repository.workouts_of(session, row.athlete_id)
    }
    for p in plan.days:
        w = p.workout
        if w.type is WorkoutType.REST:
            continue
        key = (p.day, w.sport, w.type.value, workout_minutes(w, th))
        kept = existing.pop(key, None)
        target = kept or PlannedWorkout(
            athlete_id=row.athlete_id,
            day=p.day,
            sport=w.sport,
            workout_type=w.type.value,
            minutes=key[3],
        )
        target.version = version
        target.name = w.name
        target.planned_load = w.load
        target.planned_duration_s = w.duration_s
        target.reason = p.reason.text
        target.locked = p.locked
        if kept is None:
            repository.add_workout(session, target)
    repository.delete_workouts(session, [w.id for w in existing.values()])
    session.flush()
    return plan


def _request(session: Session, athlete_id: int, settings: GoalSettings, today: date) -> PlanRequest:
    """A plan request from the athlete's fitness this morning and their thresholds."""
    athlete = repository.get_athlete(session, athlete_id)
    if athlete is None:
        raise NoPlan("This athlete is not stored.")
    numbers = daily_numbers(daily_load_history(session, athlete_id).series_until(today))
    morning = numbers.on(today)
    thresholds = thresholds_for(session, athlete, today).as_thresholds()
    try:
        return PlanRequest(
            today=today,
            ctl=max(0.0, morning.ctl),
            atl=max(0.0, morning.atl),
            thresholds=thresholds,
            availability=settings.availability,
            sports=settings.sports,
            goal=settings.goal,
        )
    except CoachError as error:
        raise PlanInputError(str(error)) from error


def _settings_of(row: TrainingPlan, today: date) -> GoalSettings:
    """The plan row's goal (dropped once its day has passed) and time."""
    goal = None
    if row.goal_date is not None and row.goal_date > today and row.goal_priority in ("A", "B", "C"):
        priority: Any = row.goal_priority
        goal = GoalEvent(row.goal_name or "Goal", row.goal_date, priority, row.goal_sport)
    h = [float(x) for x in row.hours]
    return GoalSettings(
        goal, Availability((h[0], h[1], h[2], h[3], h[4], h[5], h[6])), tuple(row.sports)
    )


def _locks(row: TrainingPlan, plan: Plan, today: date) -> dict[date, Workout]:
    """The athlete's own changes that still lie ahead within the plan."""
    out: dict[date, Workout] = {}
    for key, value in row.locks.items():
        day = date.fromisoformat(key)
        if today <= day <= plan.end:
            out[day] = rebuild(
                value["sport"], value["type"], int(value["minutes"]), plan.request.thresholds
            )
    return out


def _lock_json(workout: Workout, plan: Plan) -> dict[str, Any]:
    return {
        "sport": workout.sport,
        "type": workout.type.value,
        "minutes": workout_minutes(workout, plan.request.thresholds),
    }


def _done_loads(session: Session, athlete_id: int, first: date, last: date) -> list[DoneLoad]:
    if last < first:
        return []
    rows = repository.activities_between(session, athlete_id, first, last)
    return [DoneLoad(r.start_day, float(r.load or 0.0)) for r in rows]


def _fresh(
    session: Session,
    athlete_id: int,
    settings: GoalSettings,
    today: date,
    locks: Mapping[date, Workout],
) -> Plan:
    plan = plan_training(_request(session, athlete_id, settings, today))
    usable = {d: w for d, w in locks.items() if d <= plan.end}
    if usable:
        plan = adapt_plan(plan, [], today=today, locks=usable)
    return plan


def _next(session: Session, row: TrainingPlan, old: Plan, today: date) -> Plan:
    """The next version from ``today``: adapted from ``old`` while it still covers this
    week and the next (or runs to its goal), else a new plan from today's fitness."""
    settings = _settings_of(row, today)
    locks = _locks(row, old, today)
    horizon = today - timedelta(days=today.weekday()) + timedelta(days=13)
    goal_gone = old.request.goal is not None and settings.goal is None
    short = old.request.goal is None and old.end < horizon
    if goal_gone or short or not old.start <= today <= old.end:
        return _fresh(session, row.athlete_id, settings, today, locks)
    done = _done_loads(session, row.athlete_id, old.start, today - timedelta(days=1))
    try:
        return adapt_plan(old, done, today=today, locks=locks)
    except CoachError as error:
        raise PlanInputError(str(error)) from error


# ---------------------------------------------------------------------------------------
# Setting the goal and the time.


def set_goal(session: Session, athlete_id: int, settings: GoalSettings, *, now: datetime) -> Plan:
    """A new plan from today toward ``settings.goal`` (or a rolling two weeks without
    one), kept as the next version; the athlete's changes still ahead are kept. The goal
    also becomes the athlete's goal event (the dashboard's taper advice)."""
    now = athlete_now(session, athlete_id, now)
    today = now.date()
    athlete = repository.get_athlete(session, athlete_id)
    if athlete is None:
        raise NoPlan("This athlete is not stored.")
    if not settings.sports or any(s not in PLANNED_SPORTS for s in settings.sports):
        raise PlanInputError(f"sports must be among {', '.join(PLANNED_SPORTS)}")
    if sum(settings.availability.hours) <= 0:
        raise PlanInputError("a plan needs some time: give at least one weekday some hours")
    row = repository.plan_of(session, athlete_id, for_update=True)
    if row is None:
        row = TrainingPlan(athlete_id=athlete_id, locks={}, feed_token=new_feed_token(), version=0)
        repository.add_plan(session, row)
    goal = settings.goal
    row.goal_name = goal.name if goal else None
    row.goal_date = goal.day if goal else None
    row.goal_priority = goal.priority if goal else None
    row.goal_sport = goal.sport if goal else None
    row.hours = list(settings.availability.hours)
    row.sports = list(settings.sports)
    if goal is not None:
        athlete.goal_event_name = goal.name
        athlete.goal_event_date = goal.day
        athlete.goal_event_priority = goal.priority
    locks: dict[date, Workout] = {}
    if row.version:
        locks = _locks(row, current_plan(session, athlete_id), today)
    try:
        plan = _fresh(session, athlete_id, settings, today, locks)
    except CoachError as error:
        raise PlanInputError(str(error)) from error
    row.locks = {d.isoformat(): _lock_json(w, plan) for d, w in locks.items() if d <= plan.end}
    if goal is None:
        note = f"a rolling plan of {(plan.end - plan.start).days + 1} days, no goal set"
    else:
        note = f"a new plan toward {goal.name} on {goal.day.isoformat()} (priority {goal.priority})"
    return _store(session, row, replace(plan, changes=()), "goal", note, now)


# ---------------------------------------------------------------------------------------
# Re-planning.


def _off_plan(old: Plan, new: Plan) -> bool:
    """Whether the new version is worth keeping: a session changed, a day newly past went
    otherwise than planned (by more than the share the simulated season re-plans at), or
    a day known before was done otherwise (an activity synced late)."""
    if new.changes:
        return True
    before = {p.day: p for p in old.days}
    for p in new.days:
        q = before.get(p.day)
        if p.done_load is None or q is None:
            continue
        if q.done_load is not None:
            if abs(q.done_load - p.done_load) > 1e-6:
                return True
            continue
        planned = q.workout.load
        if abs(p.done_load - planned) > ADAPT_WHEN_OFF_BY * planned + 1e-6:
            return True
    return False


def replan(session: Session, athlete_id: int, *, now: datetime, force: bool = False) -> Plan | None:
    """Re-plan the rest of this week and the next from what was done up to yesterday
    (docs/planning.md, "Versions"); the new version is kept when something changed (or
    with ``force``). None when the plan stands as it is."""
    now = athlete_now(session, athlete_id, now)
    today = now.date()
    row = _row(session, athlete_id)
    old = current_plan(session, athlete_id)
    row.checked_on = today
    new = _next(session, row, old, today)
    fresh = new.start != old.start or new.request != old.request
    if not (force or fresh or _off_plan(old, new)):
        return None
    missed = sum(1 for c in new.changes if c.kind.value != "kept")
    note = (
        f"re-planned on {today.isoformat()}: {missed} session(s) changed to keep the week's "
        "target, the ramp limit and the taper"
        if not fresh
        else f"a new plan from {today.isoformat()}: the old one had run its course"
    )
    return _store(session, row, new, "replan", note, now)


def replan_due(session: Session, athlete_id: int, *, now: datetime) -> Plan | None:
    """Re-plan if the plan was not checked yet on the athlete's today (a page view, the
    periodic task)."""
    row = repository.plan_of(session, athlete_id)
    if row is None or row.checked_on == athlete_today(session, athlete_id, now):
        return None
    return replan(session, athlete_id, now=now)


def replan_after_activities(session: Session, athlete_id: int, *, now: datetime) -> Plan | None:
    """Activities arrived (a sync or an import finished): re-plan at once from what is now
    known, even when the plan was checked earlier today (an activity of a past day may
    have come late). None without a plan, or when it stands as it is."""
    if repository.plan_of(session, athlete_id) is None:
        return None
    return replan(session, athlete_id, now=now)


def replan_one(factory: sessionmaker[Session], athlete_id: int, now: datetime) -> bool:
    """``replan_after_activities`` in a transaction of its own, for the queue (the worker's
    task and the inline queue); whether a new version was kept. A plan the maths refuses
    stays as it was, logged, as the hourly task does."""
    try:
        with transaction(factory) as session:
            return replan_after_activities(session, athlete_id, now=now) is not None
    except FitcoachError:
        log.warning("plan of athlete %s not re-planned", athlete_id, exc_info=True)
        return False


def athletes_due(session: Session, now: datetime) -> list[int]:
    """Athletes whose plan may not have been checked yet on their own today: those not
    checked on the latest date anywhere (``replan_due`` then asks each athlete's)."""
    return repository.plans_unchecked_since(session, latest_today(now))


# ---------------------------------------------------------------------------------------
# The athlete's own changes.


def _change(
    session: Session,
    athlete_id: int,
    edits: Mapping[date, Workout],
    cause: str,
    note: str,
    now: datetime,
) -> Plan:
    now = athlete_now(session, athlete_id, now)
    today = now.date()
    row = _row(session, athlete_id)
    old = current_plan(session, athlete_id)
    for day in edits:
        if not today <= day <= old.end:
            raise PlanInputError(
                f"{day.isoformat()} is not a day you can change: pick one from today "
                f"({today.isoformat()}) to the plan's last day ({old.end.isoformat()})"
            )
    locks = dict(row.locks)
    for day, workout in edits.items():
        locks[day.isoformat()] = _lock_json(workout, old)
    row.locks = locks
    new = _next(session, row, old, today)
    return _store(session, row, new, cause, note, now)


def _session(session: Session, athlete_id: int, workout_id: int) -> PlannedWorkout:
    found = repository.workout_of(session, athlete_id, workout_id)
    if found is None:
        raise WorkoutNotFound(f"Session {workout_id} is not in your current plan.")
    return found


def skip_workout(session: Session, athlete_id: int, workout_id: int, *, now: datetime) -> Plan:
    """Skip a session: its day becomes rest, the rest of the week makes up what it can."""
    row = _session(session, athlete_id, workout_id)
    note = f"you skipped the {row.name} of {row.day.isoformat()}"
    return _change(session, athlete_id, {row.day: rest_workout()}, "skip", note, now)


def move_workout(
    session: Session, athlete_id: int, workout_id: int, to_day: date, *, now: datetime
) -> Plan:
    """Move a session to another day (replacing what that day held)."""
    row = _session(session, athlete_id, workout_id)
    if to_day == row.day:
        raise PlanInputError("the session is already on that day: pick another day")
    plan = current_plan(session, athlete_id)
    workout = plan.day(row.day).workout
    edits = {row.day: rest_workout(), to_day: workout}
    note = f"you moved the {row.name} from {row.day.isoformat()} to {to_day.isoformat()}"
    return _change(session, athlete_id, edits, "move", note, now)


def swap_workouts(
    session: Session, athlete_id: int, workout_id: int, other_id: int, *, now: datetime
) -> Plan:
    """Swap the days of two sessions."""
    a = _session(session, athlete_id, workout_id)
    b = _session(session, athlete_id, other_id)
    if a.day == b.day:
        raise PlanInputError("both sessions are on the same day: pick sessions of two days")
    plan = current_plan(session, athlete_id)
    edits = {a.day: plan.day(b.day).workout, b.day: plan.day(a.day).workout}
    note = f"you swapped {a.day.isoformat()} ({a.name}) and {b.day.isoformat()} ({b.name})"
    return _change(session, athlete_id, edits, "swap", note, now)


def add_workout(
    session: Session,
    athlete_id: int,
    day: date,
    sport: str,
    workout_type: str,
    minutes: int,
    *,
    now: datetime,
) -> Plan:
    """Put a workout of the library on ``day`` (replacing what the day held)."""
    plan = current_plan(session, athlete_id)
    try:
        kind = WorkoutType(workout_type)
        workout = rebuild(sport, kind.value, minutes, plan.request.thresholds)
    except (ValueError, CoachError) as error:
        raise PlanInputError(f"no such workout: {error}") from error
    note = f"you put a {workout.name} on {day.isoformat()}"
    return _change(session, athlete_id, {day: workout}, "add", note, now)


def rotate_feed(session: Session, athlete_id: int) -> str:
    """A new secret for the calendar feed; the old address stops working."""
    row = _row(session, athlete_id)
    row.feed_token = new_feed_token()
    return row.feed_token


def feed_token(session: Session, athlete_id: int) -> str:
    row = repository.plan_of(session, athlete_id)
    if row is None:
        raise NoPlan("You have no training plan yet.")
    return row.feed_token


def plan_for_feed(session: Session, token: str) -> Plan:
    """The current plan of whoever holds the feed secret ``token``."""
    row = repository.plan_by_feed(session, token)
    if row is None:
        raise FeedNotFound("No calendar feed has this address (it may have been rotated).")
    return current_plan(session, row.athlete_id)


# ---------------------------------------------------------------------------------------
# The plan as pages and the API show it.


@dataclass(frozen=True)
class PlannedSession:
    """A session of the plan with its id, its day's explanation and its compliance."""

    id: int
    day: PlannedDay
    compliance: SessionCompliance | None


def step_json(block: Step | Repeat) -> dict[str, Any]:
    """A step (or a repeat of steps) as the API shows it."""
    if isinstance(block, Repeat):
        return {"repeat": block.times, "steps": [step_json(s) for s in block.steps]}
    t = block.target
    return {
        "kind": block.kind.value,
        "name": block.name,
        "duration_s": block.duration_s,
        "distance_m": block.distance_m,
        "level": block.level.value,
        "target": {"kind": t.kind.value, "low": t.low, "high": t.high, "label": t.label},
    }


def _done(rows: Sequence[repository.DoneRow]) -> list[Done]:
    out: list[Done] = []
    for r in rows:
        activity = coach.Activity(
            sport_type=r.sport_type,
            start_date_local=datetime.combine(r.start_day, time(12)),
            moving_time=float(r.moving_time_s),
            elapsed_time=float(r.elapsed_time_s),
        )
        out.append(Done(activity, float(r.load or 0.0)))
    return out


def _compliance_json(c: SessionCompliance | None) -> dict[str, Any] | None:
    if c is None or c.status is Status.UPCOMING:
        return None
    return {
        "done_on": c.done_day.isoformat() if c.done_day else None,
        "done_load": round(c.done_load, 1),
        "done_duration_s": round(c.done_s),
        "load": None if c.load_ratio is None else round(c.load_ratio, 3),
        "duration": None if c.duration_ratio is None else round(c.duration_ratio, 3),
    }


@dataclass(frozen=True)
class PlanSpan:
    """The plan from ``first`` to ``last``: its days, the sessions by day (with ids and
    compliance), the activities nobody planned, and the compliance report."""

    plan: Plan
    first: date
    last: date
    days: tuple[PlannedDay, ...]
    sessions: Mapping[date, tuple[PlannedSession, ...]]
    extra: Mapping[date, tuple[SessionCompliance, ...]]
    report: ComplianceReport


def plan_span(
    session: Session, athlete_id: int, first: date | None, last: date | None, *, today: date
) -> PlanSpan:
    """The current plan between two days (default: its whole span), with compliance."""
    plan = current_plan(session, athlete_id)
    first = first or plan.start
    last = last or plan.end
    if last < first:
        raise PlanInputError("'to' must not be before 'from'")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise PlanInputError(f"ask for at most {MAX_SPAN_DAYS} days at once")
    days = tuple(p for p in plan.days if first <= p.day <= last)
    done = _done(repository.activities_between(session, athlete_id, first, last))
    report = compliance(days, done, today=today)
    ids = {
        (w.day, w.sport): w.id
        for w in repository.workouts_between(session, athlete_id, first, last)
    }
    by_planned = {(c.planned_day, c.sport): c for c in report.sessions if c.planned_day}
    sessions: dict[date, tuple[PlannedSession, ...]] = {}
    for p in days:
        if p.workout.type is WorkoutType.REST:
            continue
        key = (p.day, p.workout.sport)
        if key in ids:
            sessions[p.day] = (PlannedSession(ids[key], p, by_planned.get(key)),)
    extra: dict[date, tuple[SessionCompliance, ...]] = {}
    for c in report.sessions:
        if c.status is Status.EXTRA and c.done_day is not None:
            extra[c.done_day] = (*extra.get(c.done_day, ()), c)
    return PlanSpan(plan, first, last, days, sessions, extra, report)


def plan_document(
    session: Session,
    athlete_id: int,
    first: date | None = None,
    last: date | None = None,
    *,
    today: date,
) -> dict[str, Any]:
    """The plan as ``GET /api/plan`` and ``fitcoach plan show --json`` give it."""
    span = plan_span(session, athlete_id, first, last, today=today)
    plan = span.plan
    goal = plan.request.goal
    out_days: list[dict[str, Any]] = []
    for p in span.days:
        workouts: list[dict[str, Any]] = []
        for s in span.sessions.get(p.day, ()):
            w = s.day.workout
            workouts.append(
                {
                    "id": s.id,
                    "sport": w.sport,
                    "type": w.type.value,
                    "name": w.name,
                    "steps": [step_json(b) for b in w.blocks],
                    "planned_load": round(w.load, 1),
                    "planned_duration_s": round(w.duration_s),
                    "status": (s.compliance.status if s.compliance else Status.UPCOMING).value,
                    "compliance": _compliance_json(s.compliance),
                    "why": p.reason.text,
                    "locked": p.locked,
                }
            )
        for c in span.extra.get(p.day, ()):
            workouts.append(
                {
                    "id": None,
                    "sport": c.sport,
                    "type": None,
                    "name": "Unplanned activity",
                    "steps": [],
                    "planned_load": 0.0,
                    "planned_duration_s": 0,
                    "status": Status.EXTRA.value,
                    "compliance": _compliance_json(c),
                    "why": None,
                    "locked": False,
                }
            )
        out_days.append({"date": p.day.isoformat(), "phase": p.phase.value, "workouts": workouts})
    return {
        "version": plan.version,
        "as_of": plan.as_of.isoformat(),
        "goal": None
        if goal is None
        else {
            "name": goal.name,
            "date": goal.day.isoformat(),
            "priority": goal.priority,
            "sport": goal.sport,
        },
        "race_day_tsb": None if plan.taper is None else round(plan.taper.race_day_tsb, 1),
        "target_tsb": None if plan.taper is None else list(plan.taper.target_tsb),
        "days": out_days,
    }


@dataclass(frozen=True)
class VersionLine:
    """One kept version: when, why, and what changed."""

    version: int
    as_of: date
    made_at: datetime
    cause: str
    note: str
    changes: tuple[dict[str, Any], ...]


def history(session: Session, athlete_id: int, limit: int = 5) -> list[VersionLine]:
    """The newest ``limit`` versions, newest first."""
    return [
        VersionLine(v.version, v.as_of, v.made_at, v.cause, v.note, tuple(v.changes))
        for v in repository.versions_of(session, athlete_id, limit)
    ]


@dataclass(frozen=True)
class WorkoutDetail:
    """A session of the current plan: its row, its day in the plan, its workout."""

    id: int
    day: PlannedDay
    row: PlannedWorkout


def workout_detail(session: Session, athlete_id: int, workout_id: int) -> WorkoutDetail:
    row = _session(session, athlete_id, workout_id)
    plan = current_plan(session, athlete_id)
    return WorkoutDetail(row.id, plan.day(row.day), row)


def goal_settings(session: Session, athlete_id: int, today: date) -> GoalSettings | None:
    """The goal and time the athlete's plan was made with; None without a plan."""
    row = repository.plan_of(session, athlete_id)
    return None if row is None else _settings_of(row, today)
