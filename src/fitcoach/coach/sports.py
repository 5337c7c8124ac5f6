"""Strava sport types grouped into the families the maths treats alike."""

from typing import Final

RIDE: Final = "ride"
RUN: Final = "run"
SWIM: Final = "swim"
WALK: Final = "walk"
STRENGTH: Final = "strength"
OTHER: Final = "other"

_FAMILIES: Final[dict[str, str]] = {
    "Ride": RIDE,
    "VirtualRide": RIDE,
    "GravelRide": RIDE,
    "MountainBikeRide": RIDE,
    "EBikeRide": RIDE,
    "EMountainBikeRide": RIDE,
    "Velomobile": RIDE,
    "Handcycle": RIDE,
    "Run": RUN,
    "TrailRun": RUN,
    "VirtualRun": RUN,
    "Swim": SWIM,
    "Walk": WALK,
    "Hike": WALK,
    "WeightTraining": STRENGTH,
    "Crossfit": STRENGTH,
    "Workout": STRENGTH,
}

# Intensity factor assumed when nothing but the duration is known. A rough, deliberately
# modest guess per family (an easy-to-moderate session), so that an unmeasured activity
# neither vanishes from the load nor dominates it. docs/metrics.md lists the table.
_ASSUMED_IF: Final[dict[str, float]] = {
    RIDE: 0.70,
    RUN: 0.75,
    SWIM: 0.70,
    WALK: 0.55,
    STRENGTH: 0.60,
    OTHER: 0.60,
}

# Mind-body and very light sports, where even the family default would overstate the load.
_LIGHT_SPORTS: Final[dict[str, float]] = {"Yoga": 0.45, "Pilates": 0.50}


def sport_family(sport_type: str) -> str:
    """The family ("ride", "run", "swim", "walk", "strength", "other") of a Strava sport type."""
    return _FAMILIES.get(sport_type, OTHER)


def assumed_intensity(sport_type: str) -> float:
    """Intensity factor assumed for a sport when only the duration is known."""
    if sport_type in _LIGHT_SPORTS:
        return _LIGHT_SPORTS[sport_type]
    return _ASSUMED_IF[sport_family(sport_type)]
