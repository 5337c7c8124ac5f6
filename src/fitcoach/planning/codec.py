"""A plan version as a JSON document and back, exactly: what ``plan_versions`` stores.

Workouts are stored by what builds them (sport, type, minutes) and rebuilt with the
request's thresholds: the library is deterministic, so the steps, duration and load come
back as they were planned.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from datetime import date
from typing import Any

from fitcoach.coach import (
    AthleteThresholds,
    Availability,
    Change,
    ChangeKind,
    GoalEvent,
    Phase,
    Plan,
    PlannedDay,
    PlannedWeek,
    PlanRequest,
    Reason,
    RuleSettings,
    Sex,
    TaperSpec,
    WeekKind,
    WeekLimit,
)
from fitcoach.coach.workouts import (
    MINUTES_STEP,
    Workout,
    WorkoutType,
    build_workout,
    duration_range,
    rest_workout,
)
from fitcoach.planning.errors import PlanInputError


def workout_minutes(workout: Workout, thresholds: AthleteThresholds) -> int:
    """The minutes ``build_workout`` made ``workout`` from (0 for rest). A pool swim lasts
    what its lengths take, not exactly its minutes, so the minutes are found, not divided."""
    if workout.type is WorkoutType.REST:
        return 0
    low, high = duration_range(workout.sport, workout.type)
    guess = round(workout.duration_s / 60 / MINUTES_STEP) * MINUTES_STEP
    candidates = sorted(range(low, high + 1, MINUTES_STEP), key=lambda m: abs(m - guess))
    for minutes in candidates:
        if build_workout(workout.sport, workout.type, minutes, thresholds) == workout:
            return minutes
    raise PlanInputError(f"the {workout.name} is not one of the library's workouts")


def rebuild(sport: str, kind: str, minutes: int, thresholds: AthleteThresholds) -> Workout:
    """The workout ``(sport, kind, minutes)`` stands for."""
    workout_type = WorkoutType(kind)
    if workout_type is WorkoutType.REST:
        return rest_workout()
    return build_workout(sport, workout_type, minutes, thresholds)


def _request(request: PlanRequest) -> dict[str, Any]:
    goal = request.goal
    return {
        "today": request.today.isoformat(),
        "ctl": request.ctl,
        "atl": request.atl,
        "thresholds": {**asdict(request.thresholds), "sex": request.thresholds.sex.value},
        "hours": list(request.availability.hours),
        "sports": list(request.sports),
        "goal": None
        if goal is None
        else {
            "name": goal.name,
            "day": goal.day.isoformat(),
            "priority": goal.priority,
            "sport": goal.sport,
        },
        "recovery_every": request.recovery_every,
        "weeks_since_recovery": request.weeks_since_recovery,
        "rules": asdict(request.rules),
    }


def _request_of(doc: dict[str, Any]) -> PlanRequest:
    th = dict(doc["thresholds"])
    th["sex"] = Sex(th["sex"])
    goal = doc["goal"]
    h = [float(x) for x in doc["hours"]]
    return PlanRequest(
        today=date.fromisoformat(doc["today"]),
        ctl=float(doc["ctl"]),
        atl=float(doc["atl"]),
        thresholds=AthleteThresholds(**th),
        availability=Availability((h[0], h[1], h[2], h[3], h[4], h[5], h[6])),
        sports=tuple(doc["sports"]),
        goal=None
        if goal is None
        else GoalEvent(
            goal["name"], date.fromisoformat(goal["day"]), goal["priority"], goal["sport"]
        ),
        recovery_every=int(doc["recovery_every"]),
        weeks_since_recovery=int(doc["weeks_since_recovery"]),
        rules=RuleSettings(**doc["rules"]),
    )


def _day(p: PlannedDay, thresholds: AthleteThresholds) -> dict[str, Any]:
    return {
        "day": p.day.isoformat(),
        "phase": p.phase.value,
        "sport": p.workout.sport,
        "type": p.workout.type.value,
        "minutes": workout_minutes(p.workout, thresholds),
        "reason": {"template": p.reason.template, "numbers": dict(p.reason.numbers)},
        "available_h": p.available_h,
        "locked": p.locked,
        "done_load": p.done_load,
        "event": p.event,
    }


def _day_of(doc: dict[str, Any], thresholds: AthleteThresholds) -> PlannedDay:
    return PlannedDay(
        day=date.fromisoformat(doc["day"]),
        phase=Phase(doc["phase"]),
        workout=rebuild(doc["sport"], doc["type"], int(doc["minutes"]), thresholds),
        reason=Reason(doc["reason"]["template"], doc["reason"]["numbers"]),
        available_h=float(doc["available_h"]),
        locked=bool(doc["locked"]),
        done_load=None if doc["done_load"] is None else float(doc["done_load"]),
        event=doc["event"],
    )


def change_json(c: Change) -> dict[str, Any]:
    """A change as stored and as the pages and the API show it."""
    return {
        "day": c.day.isoformat(),
        "kind": c.kind.value,
        "before": c.before,
        "after": c.after,
        "why": c.reason.text,
        "reason": {"template": c.reason.template, "numbers": dict(c.reason.numbers)},
    }


def _change_of(doc: dict[str, Any]) -> Change:
    reason = Reason(doc["reason"]["template"], doc["reason"]["numbers"])
    return Change(
        date.fromisoformat(doc["day"]), ChangeKind(doc["kind"]), doc["before"], doc["after"], reason
    )


def plan_json(plan: Plan) -> dict[str, Any]:
    """The whole plan version as a JSON-able document."""
    th = plan.request.thresholds
    taper = plan.taper
    return {
        "request": _request(plan.request),
        "version": plan.version,
        "as_of": plan.as_of.isoformat(),
        "ramp_budget": plan.ramp_budget,
        "taper": None
        if taper is None
        else {
            **asdict(taper),
            "start": taper.start.isoformat(),
            "cut_range": list(taper.cut_range),
            "target_tsb": list(taper.target_tsb),
        },
        "weeks": [
            {
                "start": w.start.isoformat(),
                "kind": w.kind.value,
                "target_load": w.target_load,
                "asked_load": w.asked_load,
                "limit": None if w.limit is None else w.limit.value,
                "days": [_day(p, th) for p in w.days],
            }
            for w in plan.weeks
        ],
        "changes": [change_json(c) for c in plan.changes],
    }


def plan_of(doc: dict[str, Any]) -> Plan:
    """The plan version a ``plan_json`` document holds."""
    request = _request_of(doc["request"])
    th = request.thresholds
    taper_doc = doc["taper"]
    taper = None
    if taper_doc is not None:
        low, high = taper_doc["cut_range"]
        tsb_low, tsb_high = taper_doc["target_tsb"]
        taper = TaperSpec(
            start=date.fromisoformat(taper_doc["start"]),
            days=int(taper_doc["days"]),
            load_cut=float(taper_doc["load_cut"]),
            cut_range=(float(low), float(high)),
            approach_factor=float(taper_doc["approach_factor"]),
            target_tsb=(float(tsb_low), float(tsb_high)),
            race_day_ctl=float(taper_doc["race_day_ctl"]),
            race_day_tsb=float(taper_doc["race_day_tsb"]),
        )
    weeks = tuple(
        PlannedWeek(
            date.fromisoformat(w["start"]),
            WeekKind(w["kind"]),
            float(w["target_load"]),
            tuple(_day_of(p, th) for p in w["days"]),
            # versions stored before weeks said what they asked for have neither
            None if w.get("asked_load") is None else float(w["asked_load"]),
            None if w.get("limit") is None else WeekLimit(w["limit"]),
        )
        for w in doc["weeks"]
    )
    return Plan(
        request,
        int(doc["version"]),
        date.fromisoformat(doc["as_of"]),
        weeks,
        taper,
        float(doc["ramp_budget"]),
        tuple(_change_of(c) for c in doc["changes"]),
    )


def pack(document: dict[str, Any]) -> bytes:
    """A plan document as stored: compact JSON, zlib-compressed (about 20 times smaller:
    the days repeat the same keys and sentences)."""
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 6)


def unpack(data: bytes) -> dict[str, Any]:
    """The document ``pack`` stored."""
    document: dict[str, Any] = json.loads(zlib.decompress(data))
    return document
