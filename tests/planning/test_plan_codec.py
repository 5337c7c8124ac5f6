"""A stored plan version comes back exactly: for random athletes, goals and availabilities,
a plan and its adapted next version survive the JSON document (through json text, as the
database keeps it) unchanged, steps, loads, reasons and taper included."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitcoach.coach import DoneLoad, PlanRequest, adapt_plan, plan_training
from fitcoach.planning.codec import plan_json, plan_of
from tests.coach.plan_factories import requests


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
