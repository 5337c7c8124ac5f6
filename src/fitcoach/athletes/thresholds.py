"""The thresholds an athlete's loads are computed with: their settings, with estimates from
their own history where a setting is unset (``coach.resolve_thresholds``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from fitcoach import coach
from fitcoach.athletes import repository
from fitcoach.coach import AthleteThresholds, ResolvedThresholds, Sex, resolve_thresholds
from fitcoach.models import Athlete

_SEX = {"M": Sex.MALE, "F": Sex.FEMALE}


class SummaryFields(Protocol):
    """What ``coach_activity`` reads: an ``Activity``, or a row of these columns."""

    @property
    def sport_type(self) -> str: ...
    @property
    def start_date(self) -> datetime: ...
    @property
    def start_date_local(self) -> datetime | None: ...
    @property
    def moving_time_s(self) -> int: ...
    @property
    def elapsed_time_s(self) -> int: ...
    @property
    def distance_m(self) -> float: ...
    @property
    def elevation_gain_m(self) -> float: ...
    @property
    def average_watts(self) -> float | None: ...
    @property
    def weighted_average_watts(self) -> float | None: ...
    @property
    def device_watts(self) -> bool: ...
    @property
    def kilojoules(self) -> float | None: ...
    @property
    def average_heartrate(self) -> float | None: ...
    @property
    def max_heartrate(self) -> float | None: ...
    @property
    def trainer(self) -> bool: ...
    @property
    def manual(self) -> bool: ...


def coach_activity(row: SummaryFields) -> coach.Activity:
    """The coach's view of a stored activity (its summary fields, without streams)."""
    return coach.Activity(
        sport_type=row.sport_type,
        start_date_local=row.start_date_local or row.start_date,
        moving_time=float(row.moving_time_s),
        elapsed_time=float(row.elapsed_time_s),
        distance=row.distance_m,
        total_elevation_gain=row.elevation_gain_m,
        average_watts=row.average_watts,
        weighted_average_watts=row.weighted_average_watts,
        device_watts=row.device_watts,
        kilojoules=row.kilojoules,
        average_heartrate=row.average_heartrate or None,
        max_heartrate=row.max_heartrate or None,
        has_heartrate=row.average_heartrate is not None,
        trainer=row.trainer,
        manual=row.manual,
    )


def athlete_settings(athlete: Athlete) -> AthleteThresholds:
    """The thresholds the athlete set (None where they left it to the estimate)."""
    return AthleteThresholds(
        ftp=athlete.ftp_watts,
        threshold_hr=athlete.threshold_hr,
        threshold_pace_s_per_km=athlete.threshold_pace_s_per_km,
        max_hr=athlete.max_hr,
        resting_hr=athlete.resting_hr,
        sex=_SEX.get(athlete.sex or "", Sex.UNKNOWN),
        weight_kg=athlete.weight_kg,
    )


def thresholds_for(session: Session, athlete: Athlete, today: date) -> ResolvedThresholds:
    """The athlete's settings, with estimates from their own history where unset."""
    rows = repository.activities_of(session, athlete.id)
    return resolve_thresholds(
        athlete_settings(athlete), [coach_activity(row) for row in rows], today=today
    )
