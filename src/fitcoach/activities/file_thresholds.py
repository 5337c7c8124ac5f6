"""Thresholds from the athlete's own files: when stored recordings bring power (or run
pace) and no FTP (or threshold pace) is known, one is estimated from the stored curves and
dated from the first such recording, so rides with a power meter are scored from power,
not heart rate. Only the affected loads are then recomputed, with progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities import repository
from fitcoach.activities.curves import POWER, RUN_PACE
from fitcoach.athletes import repository as athletes
from fitcoach.athletes.thresholds import FTP, THRESHOLD_PACE, entries_of
from fitcoach.coach import critical_power, critical_speed
from fitcoach.coach.curves import CurvePoint, merge_best
from fitcoach.coach.thresholds import TWENTY_MIN_FACTOR
from fitcoach.core.db import transaction

TWENTY_MIN_S = 1200.0
FROM_FILES = "estimate from your files"


@dataclass(frozen=True)
class FileEstimate:
    """A threshold estimated from the stored curves, and the day it holds from."""

    kind: str
    value: float
    since: date
    source: str


def _merged(rows: list[tuple[date, list[list[float]]]], higher_is_better: bool) -> list[CurvePoint]:
    return merge_best(
        ([CurvePoint(key, value) for key, value in points] for _, points in rows),
        higher_is_better=higher_is_better,
    )


def ftp_from_curves(rows: list[tuple[date, list[list[float]]]]) -> FileEstimate | None:
    """95 % of the best 20-minute power of these curves (Coggan), else critical power."""
    if not rows:
        return None
    since = min(day for day, _ in rows)
    best: tuple[float, date] | None = None
    for day, points in rows:
        for key, value in points:
            if key == TWENTY_MIN_S and (best is None or value > best[0]):
                best = (value, day)
    if best is not None:
        watts, day = best
        return FileEstimate(
            FTP,
            watts * TWENTY_MIN_FACTOR,
            since,
            f"{FROM_FILES}: best 20-min power {watts:.0f} W ×{TWENTY_MIN_FACTOR} on {day}",
        )
    fit = critical_power(_merged(rows, True))
    if fit is None:
        return None
    return FileEstimate(
        FTP,
        fit.critical,
        since,
        f"{FROM_FILES}: critical power {fit.critical:.0f} W from {fit.points} best efforts",
    )


def pace_from_curves(rows: list[tuple[date, list[list[float]]]]) -> FileEstimate | None:
    """The threshold run pace as the critical speed of these best times."""
    if not rows:
        return None
    fit = critical_speed(_merged(rows, False))
    if fit is None or fit.critical <= 0:
        return None
    pace = 1000.0 / fit.critical
    return FileEstimate(
        THRESHOLD_PACE,
        pace,
        min(day for day, _ in rows),
        f"{FROM_FILES}: critical speed {int(pace) // 60}:{int(pace) % 60:02d} /km "
        f"from {fit.points} best times",
    )


def _estimates(session: Session, athlete_id: int) -> list[FileEstimate]:
    """An estimate for each kind the athlete set nothing for (no entry, or only earlier
    estimates from files, which a newer file may improve or date earlier)."""
    athlete = athletes.get_athlete(session, athlete_id)
    if athlete is None:
        return []
    entries = entries_of(session, athlete)
    found = []
    for kind, curve_kind, estimate in (
        (FTP, POWER, ftp_from_curves),
        (THRESHOLD_PACE, RUN_PACE, pace_from_curves),
    ):
        mine = [entry for entry in entries if entry.kind == kind]
        if any(not entry.source.startswith(FROM_FILES) for entry in mine):
            continue  # the athlete's own value, or one they accepted: never overridden
        new = estimate(repository.curves_with_days(session, athlete_id, curve_kind))
        if new is None:
            continue
        same = [(e.effective_from, e.value) for e in mine] == [(new.since, new.value)]
        if not same:
            found.append(new)
    return found


def estimate_from_files(
    sessions: sessionmaker[Session], athlete_id: int, now: datetime
) -> list[FileEstimate]:
    """Date an estimate of each threshold the athlete has none of, when their stored
    curves allow one, and ask for the loads from its first day on to be recomputed;
    returns what was estimated (nothing when every threshold is known)."""
    with transaction(sessions) as session:
        found = _estimates(session, athlete_id)
        for estimate in found:
            athletes.set_threshold_from(
                session, athlete_id, estimate.kind, estimate.value, estimate.since, estimate.source
            )
        if found:
            since = min(estimate.since for estimate in found)
            athletes.request_recompute(session, athlete_id, since, now)
        return found
