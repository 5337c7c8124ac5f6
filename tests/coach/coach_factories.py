"""Builders for coach test data: activities with only the fields a test cares about."""

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import settings

from fitcoach.coach import Activity, AthleteThresholds, Sex

DAY0 = date(2024, 1, 1)

THRESHOLDS = AthleteThresholds(
    ftp=250.0,
    threshold_hr=170.0,
    threshold_pace_s_per_km=270.0,
    swim_threshold_pace_s_per_100m=100.0,
    max_hr=190.0,
    resting_hr=50.0,
    sex=Sex.MALE,
    weight_kg=70.0,
)


def activity(
    sport_type: str = "Ride", seconds: float = 3600.0, day: date = DAY0, **fields: Any
) -> Activity:
    """An activity of ``seconds`` moving time on ``day`` at 08:00, other fields as given."""
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
    return Activity(
        sport_type=sport_type,
        start_date_local=start,
        moving_time=seconds,
        elapsed_time=seconds,
        **fields,
    )


# Property tests run the same examples every time (no random seed, no example database),
# with no deadline: the suite must be deterministic and free of timed assertions.
DETERMINISTIC = settings(derandomize=True, database=None, deadline=None)
