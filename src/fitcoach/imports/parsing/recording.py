"""What a parser reads from a file: timestamped samples per channel, and the device's own
summary where it wrote one. ``summary.summarise`` turns it into an activity with streams.

Samples stay in file order: the summary measures distance and ascent in that order and
judges the time axis from it (times running backwards make it unreliable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

# Channels a parser may fill, one value (or None) per timestamp.
CHANNELS = (
    "watts",
    "heartrate",
    "cadence",
    "altitude",
    "distance",
    "speed",
    "lat",
    "lng",
    "temp",
)


def lap(index: int, **values: float | None) -> dict[str, float | None]:
    """One lap in Strava's shape; negative or non-finite values are dropped (None)."""
    kept = {
        key: (value if value is not None and math.isfinite(value) and value >= 0 else None)
        for key, value in values.items()
    }
    return {"lap_index": float(index), **kept}


@dataclass
class Recording:
    """Samples as recorded; ``times`` are Unix seconds, channels align with them."""

    sport_type: str = "Workout"
    trainer: bool = False
    times: list[float] = field(default_factory=list)
    channels: dict[str, list[float | None]] = field(
        default_factory=lambda: {name: [] for name in CHANNELS}
    )
    start: datetime | None = None
    utc_offset_s: int | None = None
    # The file's own summary (FIT session and laps, TCX laps, GPX track statistics),
    # preferred over recomputing it; None where the file says nothing.
    elapsed_s: float | None = None
    moving_s: float | None = None
    distance_m: float | None = None
    elevation_gain_m: float | None = None
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    average_watts: float | None = None
    weighted_average_watts: float | None = None
    kilojoules: float | None = None
    name: str | None = None
    device: str | None = None
    # The device's laps (the lap button, auto-laps), in Strava's lap shape: ``lap_index``,
    # ``elapsed_time``, ``moving_time``, ``distance``, ``average_speed``,
    # ``total_elevation_gain``, ``average_heartrate``, ``max_heartrate``, ``average_watts``,
    # ``average_cadence`` (None where the file says nothing).
    laps: list[dict[str, float | None]] = field(default_factory=list)

    def add(self, time: float, **values: float | None) -> None:
        """One sample; channels not given are None at this time."""
        self.times.append(time)
        for name, samples in self.channels.items():
            samples.append(values.get(name))


# Device and file sport names to Strava sport types; sub-sports refine them.
_FIT_SPORTS = {
    "cycling": "Ride",
    "e_biking": "EBikeRide",
    "running": "Run",
    "swimming": "Swim",
    "walking": "Walk",
    "hiking": "Hike",
    "training": "Workout",
    "fitness_equipment": "Workout",
    "generic": "Workout",
    "transition": "Workout",
    "rowing": "Rowing",
    "cross_country_skiing": "NordicSki",
    "alpine_skiing": "AlpineSki",
    "snowboarding": "Snowboard",
    "paddling": "Canoeing",
    "kayaking": "Kayaking",
    "stand_up_paddleboarding": "StandUpPaddling",
    "rock_climbing": "RockClimbing",
    "inline_skating": "InlineSkate",
    "ice_skating": "IceSkate",
    "yoga": "Yoga",
    "golf": "Golf",
    "tennis": "Tennis",
}
_FIT_SUB_SPORTS = {
    ("Ride", "virtual_activity"): "VirtualRide",
    ("Ride", "mountain"): "MountainBikeRide",
    ("Ride", "gravel_cycling"): "GravelRide",
    ("Ride", "e_bike_fitness"): "EBikeRide",
    ("Ride", "e_bike_mountain"): "EMountainBikeRide",
    ("Run", "trail"): "TrailRun",
    ("Run", "virtual_activity"): "VirtualRun",
    ("Workout", "strength_training"): "WeightTraining",
    ("Workout", "yoga"): "Yoga",
    ("Workout", "elliptical"): "Elliptical",
    ("Workout", "stair_climbing"): "StairStepper",
    ("Workout", "indoor_rowing"): "Rowing",
}
INDOOR_SUB_SPORTS = frozenset({"indoor_cycling", "treadmill", "spin", "indoor_running"})
# Words GPX and TCX writers use for the sport (Strava's own GPX says "cycling", Garmin
# "road_biking", TCX "Biking"); matched case-insensitively.
_WORDS = {
    "other": "Workout",
    "cycling": "Ride",
    "biking": "Ride",
    "road_biking": "Ride",
    "ride": "Ride",
    "mountain_biking": "MountainBikeRide",
    "virtualride": "VirtualRide",
    "running": "Run",
    "run": "Run",
    "trail_running": "TrailRun",
    "swimming": "Swim",
    "swim": "Swim",
    "walking": "Walk",
    "walk": "Walk",
    "hiking": "Hike",
    "hike": "Hike",
}
# Strava writes its own activity-type code as the GPX ``<type>`` of an activity exported
# from the website (``<type>1</type>`` for a ride). The codes are not published; these are
# the ones public tools agree on (1–18), checked against Strava exports of rides (1),
# runs (9) and swims (16). Other numbers are read as "Workout".
STRAVA_TYPE_CODES = {
    1: "Ride",
    2: "AlpineSki",
    3: "BackcountrySki",
    4: "Hike",
    5: "IceSkate",
    6: "InlineSkate",
    7: "NordicSki",
    8: "RollerSki",
    9: "Run",
    10: "Walk",
    11: "Workout",
    12: "Snowboard",
    13: "Snowshoe",
    14: "Kitesurf",
    15: "Windsurf",
    16: "Swim",
    17: "VirtualRide",
    18: "EBikeRide",
}
# Strava's own sport types, as Strava's GPX export and other tools write them ("Ride").
_STRAVA_TYPES = {name.lower(): name for name in STRAVA_TYPE_CODES.values()}


def fit_sport(sport: object, sub_sport: object) -> tuple[str, bool]:
    """(Strava sport type, indoors) for a FIT sport and sub-sport."""
    base = _FIT_SPORTS.get(str(sport), "Workout")
    sub = str(sub_sport)
    return _FIT_SUB_SPORTS.get((base, sub), base), sub in INDOOR_SUB_SPORTS


def sport_from_word(word: str | None) -> str:
    """The Strava sport type for a GPX ``<type>`` (a word or Strava's numeric code) or a
    TCX ``Sport`` word."""
    if not word:
        return "Workout"
    text = word.strip()
    if text.isascii() and text.isdigit() and len(text) <= 3:
        return STRAVA_TYPE_CODES.get(int(text), "Workout")
    key = text.lower().replace(" ", "_")
    return _WORDS.get(key) or _STRAVA_TYPES.get(key.replace("_", ""), "Workout")
