"""A stored plan version comes back exactly: for random athletes, goals and availabilities,
a plan and its adapted next version survive the JSON document (through json text, as the
database keeps it) unchanged, steps, loads, reasons and taper included."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitcoach.coach import (
    Availability,
    DoneLoad,
    PlanRequest,
    WeekLimit,
    adapt_plan,
    plan_training,
)
from fitcoach.planning.codec import plan_json, plan_of
from tests.coach.coach_factories import THRESHOLDS
from tests.coach.plan_factories import requests

TODAY = date(2025, 1, 6)  # a Monday


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(requests(max_weeks=16), st.integers(1, 10), st.floats(0, 150))
def test_a_plan_and_its_next_version_survive_the_stored_document(
    request: PlanRequest, days_on: int, done: float
) -> None:
    plan = plan_training(request)
    assert plan_of(json.loads(json.dumps(plan_json(plan)))) == plan
    today = min(plan.start + timedelta(days=days_on), plan.end)
    adapted = adapt_plan(plan, [DoneLoad(plan.start, done)], today=today)
    assert plan_of(json.loads(json.dumps(plan_json(adapted)))) == adapted


def test_a_version_stored_before_weeks_said_what_they_asked_for_still_reads() -> None:
    plan = plan_training(
        PlanRequest(
            TODAY,
            45.0,
            50.0,
            THRESHOLDS,
            Availability.of({"tue": 1.5, "wed": 1.0, "thu": 1.5, "sat": 3, "sun": 4}),
        )
    )
    assert plan.weeks[0].limit is WeekLimit.TIME
    doc = plan_json(plan)
    for week in doc["weeks"]:
        del week["asked_load"], week["limit"]
    old = plan_of(doc)
    assert [w.target_load for w in old.weeks] == [w.target_load for w in plan.weeks]
    assert all(w.asked_load is None and w.limit_reason is None for w in old.weeks)
