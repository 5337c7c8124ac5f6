"""What comes in: the goal form (or the CLI's options) and a change to a session, checked
field by field; bad input is named per field and nothing is saved."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from fitcoach.coach import Availability, GoalEvent
from fitcoach.coach import sports as sport_families
from fitcoach.coach.planning import MAX_GOAL_DAYS, WEEKDAYS
from fitcoach.coach.workouts import PLANNED_SPORTS
from fitcoach.planning.errors import PlanInputError


@dataclass(frozen=True)
class GoalSettings:
    """What the athlete aims at, and the time and sports they have."""

    goal: GoalEvent | None
    availability: Availability
    sports: tuple[str, ...]


WEEKDAY_NAMES: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
GOAL_FIELDS: Final = ("goal_name", "goal_date", "goal_priority", "goal_sport")
HOURS_FIELDS: Final = tuple(f"hours_{d}" for d in WEEKDAYS)

# How the weekly hours of "--hours 8" are spread when no weekday is given: two rest days
# (Monday, Friday), short sessions midweek, the long ones at the weekend (Friel's typical
# week for an athlete with a job).
WEEK_SHAPE: Final = (0.0, 1.0, 1.25, 1.0, 0.0, 2.5, 2.0)
# Hours are kept to the quarter: the planner plans in 5-minute steps.
HOURS_STEP: Final = 0.25


def spread_hours(weekly_hours: float) -> Availability:
    """``weekly_hours`` over the week in ``WEEK_SHAPE``, to the quarter hour."""
    if not 0 < weekly_hours <= 7 * 24:
        raise PlanInputError(
            f"weekly hours must be more than 0 and at most 168, got {weekly_hours:g}"
        )
    total = sum(WEEK_SHAPE)
    hours = [round(weekly_hours * w / total / HOURS_STEP) * HOURS_STEP for w in WEEK_SHAPE]
    h = [min(24.0, x) for x in hours]
    return Availability((h[0], h[1], h[2], h[3], h[4], h[5], h[6]))


def sport_of(value: str) -> str | None:
    """A sport family (ride, run, swim) from a family or a Strava sport type; None if the
    planner has no workouts for it."""
    text = value.strip()
    family = text.lower() if text.lower() in PLANNED_SPORTS else sport_families.sport_family(text)
    return family if family in PLANNED_SPORTS else None


def parse_goal_form(
    form: Mapping[str, str], sports_chosen: list[str], today: date
) -> tuple[GoalSettings | None, dict[str, str]]:
    """The goal (optional: no name and no date means none), the hours of each weekday and
    the sports; or the errors by field."""
    errors: dict[str, str] = {}
    name = form.get("goal_name", "").strip()
    raw_date = form.get("goal_date", "").strip()
    priority = form.get("goal_priority", "A").strip().upper() or "A"
    goal_sport = form.get("goal_sport", "").strip()
    goal: GoalEvent | None = None
    if name or raw_date:
        day: date | None = None
        if not name:
            errors["goal_name"] = "Give the event a name."
        elif len(name) > 255:
            errors["goal_name"] = "The name is at most 255 characters."
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            errors["goal_date"] = "Give the event's date as YYYY-MM-DD."
        if day is not None and not 1 <= (day - today).days <= MAX_GOAL_DAYS:
            errors["goal_date"] = (
                f"The event must be 1 to {MAX_GOAL_DAYS} days from today ({today.isoformat()})."
            )
        if priority not in ("A", "B", "C"):
            errors["goal_priority"] = "The priority is A, B or C."
        family = sport_of(goal_sport) if goal_sport else None
        if goal_sport and family is None:
            errors["goal_sport"] = "The goal's sport is a ride, a run or a swim."
        if not errors and day is not None:
            p: Literal["A", "B", "C"] = "A" if priority == "A" else "B" if priority == "B" else "C"
            goal = GoalEvent(name, day, p, family)
    hours: list[float] = []
    for field, label in zip(HOURS_FIELDS, WEEKDAY_NAMES, strict=True):
        text = form.get(field, "").strip().replace(",", ".") or "0"
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0 <= value <= 24):
            errors[field] = f"{label}: hours from 0 to 24."
            value = 0.0
        hours.append(value)
    if not any(f in errors for f in HOURS_FIELDS) and sum(hours) <= 0:
        errors["hours_mon"] = "Give at least one weekday some time to train."
    chosen = [s for s in (sport_of(x) for x in sports_chosen) if s is not None]
    if len(chosen) != len(sports_chosen) or not chosen:
        errors["sports"] = "Choose one or more of ride, run and swim."
    if errors:
        return None, errors
    ordered = list(dict.fromkeys(chosen))
    if goal is not None and goal.sport in ordered:
        ordered.remove(goal.sport)
        ordered.insert(0, goal.sport)
    return GoalSettings(
        goal, Availability.of(dict(zip(WEEKDAYS, hours, strict=True))), tuple(ordered)
    ), {}


def goal_form(settings: GoalSettings | None) -> dict[str, str]:
    """The form's fields as the stored settings fill them."""
    if settings is None:
        base = {f: "" for f in GOAL_FIELDS}
        base["goal_priority"] = "A"
        return base | {f: "" for f in HOURS_FIELDS}
    goal = settings.goal
    form = {
        "goal_name": goal.name if goal else "",
        "goal_date": goal.day.isoformat() if goal else "",
        "goal_priority": goal.priority if goal else "A",
        "goal_sport": (goal.sport or "") if goal else "",
    }
    for field, h in zip(HOURS_FIELDS, settings.availability.hours, strict=True):
        form[field] = f"{h:g}"
    return form


def parse_day(value: str, name: str = "day") -> date:
    """A day as YYYY-MM-DD, or a clear error."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise PlanInputError(f"'{name}' must be a date as YYYY-MM-DD, got {value!r}") from error


def cli_goal_settings(
    name: str, day: str, priority: str, sport: str, weekly_hours: float, today: date
) -> GoalSettings:
    """The command line's goal: one sport, the weekly hours spread over the week."""
    availability = spread_hours(weekly_hours)
    form = {"goal_name": name, "goal_date": day, "goal_priority": priority, "goal_sport": sport}
    for field, hours in zip(HOURS_FIELDS, availability.hours, strict=True):
        form[field] = str(hours)
    values, errors = parse_goal_form(form, [sport], today)
    if values is None:
        raise PlanInputError("; ".join(errors.values()))
    return values
