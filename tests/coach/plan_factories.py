"""Random athletes, goals and availabilities for the planning property tests."""

from datetime import date, timedelta
from typing import Literal

from hypothesis import strategies as st

from fitcoach.coach import (
    AthleteThresholds,
    Availability,
    GoalEvent,
    PlanRequest,
    Sex,
)

HOURS = st.sampled_from([0.0, 0.0, 0.5, 0.75, 1.0, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0])
SPORTS = st.sampled_from(
    [("ride",), ("run",), ("swim",), ("ride", "run"), ("run", "ride"), ("swim", "ride", "run")]
)


@st.composite
def thresholds(draw: st.DrawFn) -> AthleteThresholds:
    """Any mix of known and unknown thresholds, in plausible ranges."""
    lthr = draw(st.one_of(st.none(), st.floats(140, 185)))
    resting = draw(st.one_of(st.none(), st.floats(40, 65)))
    max_hr = draw(st.one_of(st.none(), st.floats(192, 205)))
    return AthleteThresholds(
        ftp=draw(st.one_of(st.none(), st.floats(120, 400))),
        threshold_hr=lthr,
        threshold_pace_s_per_km=draw(st.one_of(st.none(), st.floats(180, 420))),
        swim_threshold_pace_s_per_100m=draw(st.one_of(st.none(), st.floats(75, 150))),
        max_hr=max_hr,
        resting_hr=resting,
        sex=draw(st.sampled_from(list(Sex))),
    )


@st.composite
def availabilities(draw: st.DrawFn) -> Availability:
    hours = [draw(HOURS) for _ in range(7)]
    return Availability((hours[0], hours[1], hours[2], hours[3], hours[4], hours[5], hours[6]))


@st.composite
def requests(
    draw: st.DrawFn, *, goal: bool | None = None, min_weeks: int = 1, max_weeks: int = 40
) -> PlanRequest:
    """A random athlete with a goal 1–40 weeks away (A, B or C), or none."""
    today = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 800)))
    ctl = draw(st.floats(0, 120))
    atl = max(0.0, ctl + draw(st.floats(-30, 30)))
    chosen = draw(SPORTS)
    has_goal = draw(st.booleans()) if goal is None else goal
    event = None
    if has_goal:
        days = draw(st.integers(7 * min_weeks, 7 * max_weeks))
        priority: Literal["A", "B", "C"] = draw(st.sampled_from(["A", "B", "C"]))
        event = GoalEvent("Goal race", today + timedelta(days=days), priority, chosen[0])
    return PlanRequest(
        today=today,
        ctl=ctl,
        atl=atl,
        thresholds=draw(thresholds()),
        availability=draw(availabilities()),
        sports=chosen,
        goal=event,
        recovery_every=draw(st.sampled_from([3, 4])),
        weeks_since_recovery=draw(st.integers(0, 2)),
    )
