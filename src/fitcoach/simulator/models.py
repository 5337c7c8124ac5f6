"""The simulator's records: athletes, activities, OAuth grants and the push subscription."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Strava's `type` (ActivityType) for each `sport_type` the simulator produces.
ACTIVITY_TYPE = {
    "Ride": "Ride",
    "VirtualRide": "VirtualRide",
    "GravelRide": "Ride",
    "MountainBikeRide": "Ride",
    "Run": "Run",
    "TrailRun": "Run",
    "VirtualRun": "VirtualRun",
    "Swim": "Swim",
    "WeightTraining": "WeightTraining",
    "Workout": "Workout",
    "Yoga": "Yoga",
    "Walk": "Walk",
    "Hike": "Hike",
}


@dataclass
class Athlete:
    id: int
    firstname: str
    lastname: str
    sex: str
    city: str
    state: str
    country: str
    lat: float
    lng: float
    tz: str
    kind: str  # "cyclist" | "runner" | "triathlete"
    seed: int
    history_days: int
    anchor: float  # the generated history ends here (epoch seconds)
    id_base: int  # generated activities take ids upward from here
    created_at: float
    ftp: int
    weight: float
    max_hr: int
    resting_hr: int
    run_threshold_speed: float  # m/s
    swim_speed: float  # m/s at threshold
    weekly_hours: float
    measurement_preference: str = "meters"
    premium: bool = False
    bikes: list[list[str]] = field(default_factory=list)  # [gear id, name]
    shoes: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Athlete:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(slots=True)
class Activity:
    id: int
    athlete_id: int
    seed: int
    sport_type: str
    workout: str  # the generator's plan kind; "raw" for imported documents
    start: int  # epoch seconds (UTC)
    utc_offset: int
    name: str
    moving_time: int
    elapsed_time: int
    distance: float
    total_elevation_gain: float = 0.0
    elev_low: float | None = None
    average_speed: float = 0.0
    max_speed: float = 0.0
    average_watts: float | None = None
    weighted_average_watts: int | None = None
    max_watts: int | None = None
    device_watts: bool | None = None
    kilojoules: float | None = None
    average_heartrate: float | None = None
    max_heartrate: int | None = None
    average_cadence: float | None = None
    average_temp: int | None = None
    trainer: bool = False
    commute: bool = False
    manual: bool = False
    private: bool = False
    workout_type: int | None = None
    gear_id: str | None = None
    device_name: str | None = None
    has_streams: bool = True
    gps: bool = True  # recorded position: latlng stream, start/end points, map
    description: str = ""
    calories: float = 0.0
    suffer_score: int | None = None
    deleted: bool = False
    raw: dict[str, Any] | None = None
    raw_streams: dict[str, Any] | None = None

    @property
    def type(self) -> str:
        return ACTIVITY_TYPE.get(self.sport_type, self.sport_type)

    @property
    def has_heartrate(self) -> bool:
        return self.average_heartrate is not None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Activity:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class Grant:
    """One athlete's authorization of the application, with its live tokens."""

    athlete_id: int
    client_id: str
    scopes: list[str]
    access_token: str
    access_expires_at: int
    refresh_token: str
    # The refresh token before the last rotation: valid until the new one is first used.
    previous_refresh_token: str | None = None
    # Earlier access tokens keep working until they expire.
    older_access_tokens: dict[str, int] = field(default_factory=dict)
    revoked: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grant:
        return cls(**data)


@dataclass
class AuthCode:
    code: str
    athlete_id: int
    client_id: str
    scopes: list[str]
    redirect_uri: str
    expires_at: float
    used: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Subscription:
    id: int
    client_id: str
    callback_url: str
    verify_token: str
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
