"""A short simulated season: a seeded athlete follows the plan with noise, misses 10 % of
sessions and overdoes 10 %; the plan adapts and still delivers race-day form in the band
without a week over the ramp limit. bench/plan_season.py runs a full-length one."""

import pytest
from test_coach_planning import request

from fitcoach.coach import Status
from fitcoach.coach.season import Behaviour, simulate_season


@pytest.mark.parametrize(("priority", "seed"), [("A", 1), ("A", 2), ("B", 3)])
def test_an_eight_week_season_lands_in_the_band(priority: str, seed: int) -> None:
    season = simulate_season(request(weeks=8, priority=priority), Behaviour(seed=seed))
    assert season.race_day_in_band, (season.race_day_tsb, season.target_tsb)
    assert season.weeks_over_ramp_limit == 0
    assert season.max_ramp <= season.ramp_limit
    report = season.compliance
    assert report.counts[Status.MISSED] >= 1
    assert report.counts[Status.DONE] > 5 * report.counts[Status.MISSED]
    assert report.load_ratio is not None and 0.8 < report.load_ratio < 1.1
    assert season.versions > 8  # re-planned at least every week
    assert (
        len(season.followed)
        == len(season.daily_loads)
        == (season.first_plan.end - season.first_plan.start).days
    )
