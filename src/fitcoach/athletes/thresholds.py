"""The thresholds an athlete's loads are computed with: their dated thresholds (the entry of
each kind in force on an activity's start date), with estimates from their own history
where none is in force (``coach.resolve_thresholds``)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from fitcoach import coach
from fitcoach.athletes import repository
from fitcoach.coach import (
    AthleteThresholds,
    ResolvedThresholds,
    Sex,
    ThresholdEstimate,
    resolve_thresholds,
)
from fitcoach.coach.thresholds import SETTING
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


# The dated kinds, and the field of ``AthleteThresholds`` / ``ResolvedThresholds`` each is.
FTP, THRESHOLD_HR, THRESHOLD_PACE = "ftp", "threshold_hr", "threshold_pace"
DATED_FIELDS = {
    FTP: "ftp",
    THRESHOLD_HR: "threshold_hr",
    THRESHOLD_PACE: "threshold_pace_s_per_km",
}
ACCEPTED_ESTIMATE = "accepted estimate"
# An entry "for all activities" is dated before any recording can be.
FROM_THE_START = date(1900, 1, 1)


class EntryFields(Protocol):
    """What the lookup reads of a dated threshold: a ``ThresholdEntry`` or such a row."""

    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def effective_from(self) -> date: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class DatedThresholds:
    """The thresholds in force on any day: ``fallback`` (estimates, and the settings that
    are not dated) where no dated entry of a kind is in force, the entry's value otherwise."""

    fallback: AthleteThresholds
    entries: Sequence[EntryFields]
    _by_kind: dict[str, tuple[list[date], list[EntryFields]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _memo: dict[tuple[float | None, ...], AthleteThresholds] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for kind in DATED_FIELDS:
            mine = sorted((e for e in self.entries if e.kind == kind), key=_effective)
            self._by_kind[kind] = ([e.effective_from for e in mine], mine)

    def entry_on(self, kind: str, day: date) -> EntryFields | None:
        """The entry of ``kind`` in force on ``day`` (None: none yet)."""
        days, entries = self._by_kind[kind]
        at = bisect_right(days, day)
        return entries[at - 1] if at else None

    def on(self, day: date) -> AthleteThresholds:
        """The plain values in force on ``day``, as the load functions take them."""
        values: dict[str, float | None] = {}
        for kind, name in DATED_FIELDS.items():
            entry = self.entry_on(kind, day)
            values[name] = getattr(self.fallback, name) if entry is None else entry.value
            if values[name] is None:
                values[name] = getattr(self.fallback, name)
        key = tuple(values.values())
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = replace(
                self.fallback,
                ftp=values["ftp"],
                threshold_hr=values["threshold_hr"],
                threshold_pace_s_per_km=values["threshold_pace_s_per_km"],
            )
        return found


@dataclass(frozen=True)
class Entry:
    """A dated threshold not stored as one (see ``entries_of``)."""

    kind: str
    value: float | None
    effective_from: date
    source: str


def entries_of(session: Session, athlete: Athlete) -> list[EntryFields]:
    """The athlete's dated thresholds. A setting stored on the athlete with no dated entry
    of its kind (written by a tool that predates the history) holds from the start, as it
    did before thresholds were dated."""
    stored: list[EntryFields] = list(repository.threshold_entries(session, athlete.id))
    kinds = {entry.kind for entry in stored}
    settings = athlete_settings(athlete)
    for kind, name in DATED_FIELDS.items():
        value = getattr(settings, name)
        if kind not in kinds and value is not None:
            stored.append(Entry(kind, value, FROM_THE_START, SETTING))
    return stored


def _effective(entry: EntryFields) -> date:
    return entry.effective_from


def activity_day(row: SummaryFields) -> date:
    """The day whose thresholds score an activity: its local start date (the day its load
    counts for)."""
    return (row.start_date_local or row.start_date).date()


def resolved_on(
    settings: AthleteThresholds,
    entries: Sequence[EntryFields],
    history: Sequence[coach.Activity],
    day: date,
) -> ResolvedThresholds:
    """The thresholds in force on ``day``, each with its source: the dated entry where one
    is in force, otherwise the estimate from ``history`` as it stood on that day; the
    undated values from ``settings``."""
    undated = replace(settings, ftp=None, threshold_hr=None, threshold_pace_s_per_km=None)
    estimates = resolve_thresholds(undated, history, today=day)
    dated = DatedThresholds(estimates.as_thresholds(), entries)
    changes: dict[str, ThresholdEstimate] = {}
    for kind, name in DATED_FIELDS.items():
        entry = dated.entry_on(kind, day)
        if entry is not None and entry.value is not None:
            changes[name] = ThresholdEstimate(entry.value, entry.source)
    return replace(
        estimates,
        ftp=changes.get("ftp", estimates.ftp),
        threshold_hr=changes.get("threshold_hr", estimates.threshold_hr),
        threshold_pace_s_per_km=changes.get(
            "threshold_pace_s_per_km", estimates.threshold_pace_s_per_km
        ),
    )


def dated_thresholds(session: Session, athlete: Athlete, today: date) -> DatedThresholds:
    """What scores each of the athlete's activities: the thresholds in force on its date
    (the estimates where none is, from the history as it stands ``today``)."""
    history = [coach_activity(row) for row in repository.activities_of(session, athlete.id)]
    undated = replace(
        athlete_settings(athlete), ftp=None, threshold_hr=None, threshold_pace_s_per_km=None
    )
    fallback = resolve_thresholds(undated, history, today=today).as_thresholds()
    return DatedThresholds(fallback, entries_of(session, athlete))


def thresholds_for(session: Session, athlete: Athlete, today: date) -> ResolvedThresholds:
    """The thresholds in force today, each with its source: the dated entry where one is
    in force, otherwise the estimate from the athlete's own history."""
    history = [coach_activity(row) for row in repository.activities_of(session, athlete.id)]
    return resolved_on(athlete_settings(athlete), entries_of(session, athlete), history, today)
