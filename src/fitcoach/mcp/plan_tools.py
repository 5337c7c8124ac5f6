"""The plan through MCP: read it, and (read-write tokens only) skip, move, swap or add a
session or set the goal, with the same planning service calls as the plan pages, so the
plan re-adapts the same way and the calendar shows it.

Under the default language-model policy the plan's sessions are given, but not how what
was done compares with them: that comparison reads activities from Strava's API too.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fitcoach.athletes.local_day import athlete_today
from fitcoach.coach.workouts import WorkoutType
from fitcoach.core.db import transaction
from fitcoach.mcp.context import ToolContext, ToolSpec
from fitcoach.mcp.errors import ToolRefused
from fitcoach.mcp.schemas import PlanChanged, PlanDayOut, PlannedSessionOut, PlanOut
from fitcoach.narrator.policy import WITHHELD
from fitcoach.planning import service
from fitcoach.planning.schemas import (
    HOURS_FIELDS,
    GoalSettings,
    goal_form,
    parse_goal_form,
    spread_hours,
)

# A changed plan's answer shows the days from today on, this many.
CHANGED_DAYS = 14
WORKOUT_TYPES = ", ".join(kind.value for kind in WorkoutType if kind is not WorkoutType.REST)
PLAN_WITHHELD = (
    WITHHELD + " The sessions' status and compliance (how what was done compares) were left out."
)


def _plan(session: Session, context: ToolContext, first: date | None, last: date | None) -> PlanOut:
    today = athlete_today(session, context.athlete_id, context.now)
    document = service.plan_document(session, context.athlete_id, first, last, today=today)
    withheld = context.withheld(session)
    days = []
    for day in document["days"]:
        sessions = []
        for workout in day["workouts"]:
            if withheld and workout["id"] is None:
                continue  # an unplanned activity: only its record says it happened
            sessions.append(
                PlannedSessionOut(
                    id=workout["id"],
                    sport=workout["sport"],
                    type=workout["type"],
                    name=workout["name"],
                    planned_load=workout["planned_load"],
                    planned_duration_s=workout["planned_duration_s"],
                    status=None if withheld else workout["status"],
                    why=workout["why"],
                    locked=workout["locked"],
                    steps=workout["steps"],
                    compliance=None if withheld else workout["compliance"],
                )
            )
        days.append(PlanDayOut(day=day["date"], phase=day["phase"], sessions=sessions))
    return PlanOut(
        version=document["version"],
        as_of=document["as_of"],
        goal=document["goal"],
        race_day_tsb=document["race_day_tsb"],
        days=days,
        sources=[str(s) for s in context.sources],
        withheld=PLAN_WITHHELD if withheld else None,
    )


def get_plan(context: ToolContext, start: date | None = None, end: date | None = None) -> PlanOut:
    with transaction(context.sessions) as session:
        # As the plan page and GET /api/plan do: a plan not checked today is re-planned first.
        service.replan_due(session, context.athlete_id, now=context.now)
        # The plan's days are the athlete's: "today" is where they are, not UTC's.
        today = athlete_today(session, context.athlete_id, context.now)
        return _plan(session, context, start or today, end)


def _changed(session: Session, context: ToolContext) -> PlanChanged:
    newest = service.history(session, context.athlete_id, limit=1)[0]
    today = athlete_today(session, context.athlete_id, context.now)
    plan = _plan(session, context, today, today + timedelta(days=CHANGED_DAYS - 1))
    return PlanChanged(
        version=newest.version, note=newest.note, changes=list(newest.changes), plan=plan
    )


def skip_workout(context: ToolContext, workout_id: int) -> PlanChanged:
    with transaction(context.sessions) as session:
        service.skip_workout(session, context.athlete_id, workout_id, now=context.now)
        return _changed(session, context)


def move_workout(context: ToolContext, workout_id: int, to_day: date) -> PlanChanged:
    with transaction(context.sessions) as session:
        service.move_workout(session, context.athlete_id, workout_id, to_day, now=context.now)
        return _changed(session, context)


def swap_workouts(context: ToolContext, workout_id: int, other_workout_id: int) -> PlanChanged:
    with transaction(context.sessions) as session:
        service.swap_workouts(
            session, context.athlete_id, workout_id, other_workout_id, now=context.now
        )
        return _changed(session, context)


def add_workout(
    context: ToolContext, day: date, sport: str, workout_type: str, minutes: int
) -> PlanChanged:
    with transaction(context.sessions) as session:
        service.add_workout(
            session, context.athlete_id, day, sport, workout_type, minutes, now=context.now
        )
        return _changed(session, context)


def set_goal(
    context: ToolContext,
    name: str | None = None,
    day: date | None = None,
    priority: str = "A",
    sport: str | None = None,
    weekly_hours: float | None = None,
    sports: list[str] | None = None,
) -> PlanChanged:
    with transaction(context.sessions) as session:
        today = athlete_today(session, context.athlete_id, context.now)
        current = service.goal_settings(session, context.athlete_id, today)
        service.set_goal(
            session,
            context.athlete_id,
            _goal(current, name, day, priority, sport, weekly_hours, sports, today),
            now=context.now,
        )
        return _changed(session, context)


def _goal(
    current: GoalSettings | None,
    name: str | None,
    day: date | None,
    priority: str,
    sport: str | None,
    weekly_hours: float | None,
    sports: list[str] | None,
    today: date,
) -> GoalSettings:
    """The goal form the plan page would post: what is given, the rest as it stands."""
    form: dict[str, Any] = goal_form(current)
    form.update(
        goal_name=name or "",
        goal_date=day.isoformat() if day else "",
        goal_priority=priority,
        goal_sport=sport or "",
    )
    if weekly_hours is not None:
        for field, hours in zip(HOURS_FIELDS, spread_hours(weekly_hours).hours, strict=True):
            form[field] = f"{hours:g}"
    elif current is None:
        raise ToolRefused("there is no plan yet: give weekly_hours, the time there is to train")
    chosen = sports or list(current.sports if current else ())
    if not chosen:
        chosen = [sport] if sport else ["ride"]
    settings, errors = parse_goal_form(form, chosen, today)
    if settings is None:
        raise ToolRefused("; ".join(errors.values()))
    return settings


PLAN_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "get_plan",
        get_plan,
        "The athlete's training plan from start (default today) to end (default the plan's "
        "end; ISO dates, at most 400 days): each day's phase and sessions with their id, "
        "sport, workout type, planned load and duration, steps, why the plan put it there, "
        "and whether the athlete chose it. Use the ids with the tools that change the plan.",
    ),
)

WRITE_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "move_workout",
        move_workout,
        "Move a planned session (workout_id from get_plan) to another day (to_day, ISO "
        "date), replacing what that day held; the rest of the plan re-adapts. Use it when "
        "the athlete cannot train on the planned day.",
        writes=True,
    ),
    ToolSpec(
        "skip_workout",
        skip_workout,
        "Skip a planned session (workout_id from get_plan): its day becomes rest and the "
        "rest of the week makes up what it can.",
        writes=True,
    ),
    ToolSpec(
        "swap_workouts",
        swap_workouts,
        "Swap the days of two planned sessions (workout_id and other_workout_id from get_plan).",
        writes=True,
    ),
    ToolSpec(
        "add_workout",
        add_workout,
        "Put a workout on a day (ISO date), replacing what it held: sport is ride, run or "
        f"swim; workout_type one of {WORKOUT_TYPES}; minutes its length.",
        writes=True,
    ),
    ToolSpec(
        "set_goal",
        set_goal,
        "Set the goal event (name, day as ISO date 1 day to about a year ahead, priority A "
        "peak / B important / C train-through, sport ride/run/swim) and optionally the "
        "weekly_hours to train and the sports to plan; makes a new plan toward it, keeping "
        "the athlete's own changes ahead. Without name and day the plan rolls with no goal.",
        writes=True,
    ),
)
