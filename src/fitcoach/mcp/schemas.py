"""What the MCP tools answer, as pydantic models: the SDK turns each into the tool's output
schema, so an assistant knows every field's meaning before it calls.

Every answer carries ``sources`` (the activity sources it was computed from) and
``withheld`` (None, or why some of the athlete's data was left out: Strava's API terms).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class Provenance(BaseModel):
    """Which data an answer was computed from."""

    sources: list[str] = Field(
        description="Activity sources used: 'file' and 'archive' are the athlete's own "
        "recordings, 'strava_api' is data fetched from Strava"
    )
    withheld: str | None = Field(
        None, description="Set when some of the athlete's data was left out, and why"
    )


class FitnessDay(BaseModel):
    """One day's numbers as of the morning, before that day's training."""

    day: date
    load: float = Field(description="Training load (TSS scale) of the day's own activities")
    fitness: float = Field(description="Fitness (CTL, 42-day load average) that morning")
    fatigue: float = Field(description="Fatigue (ATL, 7-day load average) that morning")
    form: float = Field(description="Form (TSB) = fitness - fatigue; negative means tired")
    ramp: float = Field(description="Change in fitness over the 7 days before")


class FitnessAndForm(Provenance):
    """Fitness, fatigue and form for each day of a range, and today's.

    The series are columns: ``days[i]``'s numbers are ``load[i]``, ``fitness[i]`` and so on
    (a year of days is a third of the size as a list of objects, and checks faster).
    """

    start: date
    end: date
    today: FitnessDay | None = Field(description="This morning's numbers; None without data")
    days: list[date] = Field(description="Each day of the range, oldest first")
    load: list[float] = Field(description="Each day's training load (TSS scale)")
    fitness: list[float] = Field(description="Each morning's fitness (CTL)")
    fatigue: list[float] = Field(description="Each morning's fatigue (ATL)")
    form: list[float] = Field(description="Each morning's form (TSB = fitness - fatigue)")
    ramp: list[float] = Field(description="Each morning's change in fitness over 7 days")


class SportWeek(BaseModel):
    """One sport family's week against its average of the weeks before."""

    sport: str = Field(description="'all' for every sport together, else a sport family")
    count: float
    moving_time_h: float
    distance_km: float
    elevation_m: float
    load: float
    average_count: float = Field(description="Per-week average of the compared weeks")
    average_moving_time_h: float
    average_distance_km: float
    average_load: float


class WeekSummary(Provenance):
    """A week (Monday to Sunday) against the weeks before it."""

    start: date
    end: date
    compared_weeks: int
    total: SportWeek
    sports: list[SportWeek]


class ActivityItem(BaseModel):
    """An activity as a list shows it."""

    id: int = Field(description="fitcoach's id of the activity (use it with get_activity)")
    name: str
    sport_type: str
    start_local: datetime = Field(description="Start, on the clock where it was recorded")
    moving_time_s: int
    distance_km: float
    elevation_m: float
    load: float | None = Field(description="Training load (TSS scale); None until computed")
    load_method: str | None = Field(description="How the load was computed")
    source: str


class ActivityList(Provenance):
    """Activities matching the filters, newest first."""

    activities: list[ActivityItem]
    more: bool = Field(description="True when more activities match than were returned")


class ZoneShare(BaseModel):
    label: str = Field(description="The zone's name and its bounds")
    seconds: float
    share: float = Field(description="Fraction of the recorded time, 0 to 1")


class ZoneBreakdown(BaseModel):
    kind: str = Field(description="'power', 'heart_rate' or 'pace'")
    zones: list[ZoneShare]


class ActivitySummary(Provenance):
    """One activity's summary, its load, and time in zones when its streams are stored."""

    activity: ActivityItem
    elapsed_time_s: int
    average_watts: float | None
    weighted_average_watts: float | None
    average_heartrate: float | None
    max_heartrate: float | None
    average_speed_m_s: float | None
    kilojoules: float | None
    trainer: bool
    commute: bool
    load_explanation: str = Field(description="How the load was computed, in words")
    zones: list[ZoneBreakdown] = Field(
        description="Time in zones; empty when no streams are stored for the activity"
    )


class Threshold(BaseModel):
    name: str = Field(
        description="ftp (W), threshold_hr (bpm), threshold_pace (s/km), "
        "swim_threshold_pace (s/100 m), max_hr (bpm) or resting_hr (bpm)"
    )
    value: float | None = Field(description="None when it cannot be estimated")
    source: str = Field(description="The athlete's setting, or how it was estimated")


class ThresholdsAt(BaseModel):
    """The thresholds as they stood on one day."""

    day: date
    thresholds: list[Threshold]


class DatedThreshold(BaseModel):
    """One dated threshold: in force from its day until the next of its name."""

    name: str = Field(description="ftp (W), threshold_hr (bpm) or threshold_pace (s/km)")
    value: float | None = Field(description="None: the estimate is used from this day")
    effective_from: date = Field(description="The first day it scores (1900-01-01: always)")
    source: str = Field(description="setting, accepted estimate, or an estimate from files")


class MonthlyEstimate(BaseModel):
    """One month's FTP estimate from that month's stored power curves."""

    month: date = Field(description="The month's first day")
    ftp_w: float
    source: str = Field(description="What it was estimated from")


class CriticalFitOut(BaseModel):
    """A critical-rate fit of the last 90 days' best efforts between 2 and 20 minutes."""

    critical: float = Field(description="CP in W (power) or CS in m/s (running speed)")
    capacity: float = Field(description="W' in J (power) or D' in m (running)")
    pace_s_per_km: float | None = Field(
        None, description="Critical speed as a running pace; None for power"
    )
    r_squared: float = Field(description="How well the efforts fit the model, 0 to 1")
    efforts: int = Field(description="How many best efforts the fit used")


class Thresholds(Provenance):
    """The thresholds loads and zones are computed with today, and how the estimates from
    the athlete's best efforts moved (the same numbers as the Thresholds settings page)."""

    today: ThresholdsAt
    dated: list[DatedThreshold] = Field(
        default_factory=list,
        description="The athlete's dated thresholds, oldest first: each activity's load uses "
        "the one in force on its day",
    )
    ftp_by_month: list[MonthlyEstimate] = Field(
        description="An FTP estimate for each of the last 6 months with power data, oldest first"
    )
    critical_power: CriticalFitOut | None = Field(
        description="CP and W' from the last 90 days' power curve; None without enough efforts"
    )
    critical_speed: CriticalFitOut | None = Field(
        description="Running CS and D' from the last 90 days' pace curve; None without enough"
    )


class BestEffort(BaseModel):
    """The best effort of one duration or distance in the range, and where it was done."""

    duration_s: int | None = Field(description="For power and heart rate: the duration")
    distance_m: float | None = Field(description="For pace: the distance")
    label: str = Field(description="The duration or distance in words, e.g. '20 min', '5 km'")
    value: float = Field(
        description="Best mean power (W) or heart rate (bpm) over the duration, or the "
        "shortest time (s) over the distance"
    )
    pace: float | None = Field(
        None, description="For pace: that time as s/km (runs) or s/100 m (swims)"
    )
    activity_id: int = Field(description="The activity it came from (use it with get_activity)")
    day: date = Field(description="The day of that activity")


class BestEfforts(Provenance):
    """A curve of best efforts over a range of days."""

    curve: str
    sport: str | None = Field(description="run or swim for pace curves")
    since: date | None = Field(description="The range's first day; None for all time")
    efforts: list[BestEffort] = Field(description="Shortest duration or distance first")


class PlannedSessionOut(BaseModel):
    """A session of the plan (or an activity nobody planned, with ``id`` None)."""

    id: int | None = Field(description="The session's id, for the tools that change the plan")
    sport: str
    type: str | None = Field(description="The workout type, e.g. endurance, threshold, vo2max")
    name: str
    planned_load: float
    planned_duration_s: float
    status: str | None = Field(
        description="upcoming, done, partly_done, missed, moved, extra; None when withheld"
    )
    why: str | None = Field(description="Why the plan put it there")
    locked: bool = Field(description="True when the athlete chose it (kept across re-plans)")
    steps: list[dict[str, Any]] = Field(description="The workout's steps and their targets")
    compliance: dict[str, Any] | None = Field(
        description="How what was done compares; None when upcoming or withheld"
    )


class PlanDayOut(BaseModel):
    day: date
    phase: str = Field(description="The training phase of the day (base, build, peak, taper…)")
    sessions: list[PlannedSessionOut] = Field(description="Empty on a rest day")


class PlanOut(Provenance):
    """The athlete's training plan for a span of days."""

    version: int = Field(description="The plan's version; each change makes a new one")
    as_of: date
    goal: dict[str, Any] | None = Field(description="The goal event: name, date, priority, sport")
    race_day_tsb: float | None = Field(description="Form the plan aims at on race day")
    days: list[PlanDayOut]


class PlanChanged(BaseModel):
    """What a change to the plan did: the new version, in words, and the plan around it."""

    version: int
    note: str = Field(description="What changed, in words")
    changes: list[dict[str, Any]] = Field(description="Each day the re-plan changed, and why")
    plan: PlanOut = Field(description="The plan from today for the next two weeks")
