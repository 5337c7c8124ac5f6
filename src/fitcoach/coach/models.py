"""Plain input data: an activity as Strava summarises it, its streams, the athlete's thresholds."""

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum

from fitcoach.coach._checks import require_non_negative, require_positive
from fitcoach.coach._samples import StreamValues, to_array
from fitcoach.coach.errors import CoachError


class Sex(StrEnum):
    """Selects Banister's TRIMP coefficients; UNKNOWN uses the men's (see docs/metrics.md)."""

    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Streams:
    """Per-sample streams of one activity, all the same length, in Strava's units.

    time is seconds from the start; velocity_smooth m/s; altitude and distance m;
    grade_smooth percent. Any stream may be missing. Lists are turned into read-only float
    arrays (None becoming NaN) once, here, rather than by every metric that reads them.
    """

    time: StreamValues | None = None
    watts: StreamValues | None = None
    heartrate: StreamValues | None = None
    velocity_smooth: StreamValues | None = None
    altitude: StreamValues | None = None
    grade_smooth: StreamValues | None = None
    distance: StreamValues | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            values = getattr(self, f.name)
            if values is not None:
                array = to_array(values, f.name)
                if array is values:
                    array = array.view()
                array.flags.writeable = False
                object.__setattr__(self, f.name, array)
        lengths = {f.name: len(v) for f in fields(self) if (v := getattr(self, f.name)) is not None}
        if len(set(lengths.values())) > 1:
            described = ", ".join(f"{name}={n}" for name, n in lengths.items())
            raise CoachError(f"streams must all have the same length, got {described}")


@dataclass(frozen=True)
class Activity:
    """One activity, mirroring the fields of Strava's SummaryActivity that the maths uses.

    Times in seconds, distances in metres, power in watts, heart rate in bpm.
    """

    sport_type: str
    start_date_local: datetime
    moving_time: float
    elapsed_time: float
    distance: float = 0.0
    total_elevation_gain: float = 0.0
    average_watts: float | None = None
    weighted_average_watts: float | None = None
    device_watts: bool = False
    kilojoules: float | None = None
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    has_heartrate: bool = False
    trainer: bool = False
    manual: bool = False
    streams: Streams | None = None

    def __post_init__(self) -> None:
        for name in ("moving_time", "elapsed_time", "distance", "total_elevation_gain"):
            require_non_negative(name, getattr(self, name))
        for name in ("average_watts", "weighted_average_watts", "kilojoules"):
            require_non_negative(name, getattr(self, name))
        for name in ("average_heartrate", "max_heartrate"):
            require_positive(name, getattr(self, name))

    @property
    def duration_s(self) -> float:
        """Moving time, or elapsed time when a manual entry left moving time at zero."""
        return self.moving_time if self.moving_time > 0 else self.elapsed_time


@dataclass(frozen=True)
class AthleteThresholds:
    """The athlete's thresholds; None means unknown (see thresholds.resolve_thresholds)."""

    ftp: float | None = None
    threshold_hr: float | None = None
    threshold_pace_s_per_km: float | None = None
    swim_threshold_pace_s_per_100m: float | None = None
    max_hr: float | None = None
    resting_hr: float | None = None
    sex: Sex = Sex.UNKNOWN
    weight_kg: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "sex":
                require_positive(f.name, getattr(self, f.name))
        if (
            self.max_hr is not None
            and self.resting_hr is not None
            and self.resting_hr >= self.max_hr
        ):
            raise CoachError(
                f"resting_hr ({self.resting_hr:g}) must be below max_hr ({self.max_hr:g})"
            )
