"""A short season lived through the database: each morning the hourly task re-plans from
the activities stored; the athlete does the day's session with noise, misses 10 % and
overdoes 10 %, each activity stored with the load load.py gives it. Race-day form lands in
the goal's band, no 7-day ramp passes the rule, and the plan's compliance says what was
done."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

import numpy as np
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.activities.queries import daily_load_history
from fitcoach.coach import GoalEvent, WorkoutType, activity_load, daily_numbers
from fitcoach.coach.workouts import executed_activity
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.planning import service
from fitcoach.planning.schemas import GoalSettings, spread_hours
from fitcoach.planning.tasks import replan_all
from tests.planning.plan_support import ATHLETE, TODAY, add_ride, morning, seed

WEEKS = 6


def test_a_six_week_season_through_the_store_lands_in_the_band(sqlite_url: URL) -> None:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    sessions = session_factory(engine)
    seed(sessions)
    goal_day = TODAY + timedelta(weeks=WEEKS, days=6)
    settings = GoalSettings(GoalEvent("Crit", goal_day, "B", "ride"), spread_hours(8), ("ride",))
    with transaction(sessions) as session:
        first = service.set_goal(session, ATHLETE, settings, now=morning(TODAY))
    rng = random.Random(11)
    missed = overdone = 0
    day = TODAY
    while day < goal_day:
        replan_all(sessions, morning(day))
        with sessions() as session:
            plan = service.current_plan(session, ATHLETE)
        workout = plan.day(day).workout
        if workout.type is not WorkoutType.REST:
            u = rng.random()
            if u < 0.1:
                missed += 1
            else:
                scale = (1.3, 1.04) if u < 0.2 else (1.0, 1.0)
                overdone += u < 0.2
                done = executed_activity(
                    workout,
                    datetime.combine(day, time(7)),
                    duration_scale=scale[0] * rng.gauss(1, 0.05),
                    intensity_scale=scale[1] * rng.gauss(1, 0.02),
                )
                load = activity_load(done, first.request.thresholds).load
                with transaction(sessions) as session:
                    add_ride(
                        session, ATHLETE, day, load, 70_000 + (day - TODAY).days,
                        minutes=round(done.duration_s / 60),
                    )  # fmt: skip
        day += timedelta(days=1)
    with sessions() as session:
        history = daily_load_history(session, ATHLETE)
        document = service.plan_document(session, ATHLETE, today=goal_day)
        versions = service.repository.latest_version(session, ATHLETE)
    numbers = daily_numbers(history.series_until(goal_day))
    race = numbers.on(goal_day)
    low, high = 5, 15  # priority B (coach.taper.TAPERS)
    assert low <= race.tsb <= high, race.tsb
    ramps = np.array(
        [numbers.on(TODAY + timedelta(days=i)).ramp for i in range((goal_day - TODAY).days + 1)]
    )
    assert float(ramps.max()) <= first.request.rules.ramp_limit + 1e-6
    statuses = [w["status"] for d in document["days"] for w in d["workouts"]]
    assert missed >= 1 and overdone >= 1
    assert statuses.count("missed") >= missed - statuses.count("moved")
    assert statuses.count("done") + statuses.count("partly_done") >= len(statuses) - missed - 2
    assert versions is not None and versions.version > WEEKS  # re-planned at least weekly
    engine.dispose()
