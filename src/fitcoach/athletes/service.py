"""An athlete's coaching settings: what the settings page shows, and saving them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes import repository
from fitcoach.athletes.local_day import athlete_today
from fitcoach.athletes.schemas import SettingsForm
from fitcoach.athletes.thresholds import (
    ACCEPTED_ESTIMATE,
    DATED_FIELDS,
    FROM_THE_START,
    FTP,
    THRESHOLD_HR,
    thresholds_for,
)
from fitcoach.athletes.views import (
    RecomputeView,
    ThresholdLine,
    recompute_view,
    settings_form,
    threshold_lines,
)
from fitcoach.coach.thresholds import SETTING
from fitcoach.core.db import transaction
from fitcoach.strava.repository import connection_of


def _keep_earlier(session: Session, athlete_id: int, kind: str, setting: float | None) -> None:
    """A setting stored with no dated entry of its kind (see ``entries_of``) held from the
    start: dated as such before a newer value is dated after it, so earlier loads keep it."""
    if setting is not None and not repository.has_threshold(session, athlete_id, kind):
        repository.set_threshold_from(session, athlete_id, kind, setting, FROM_THE_START, SETTING)


@dataclass(frozen=True)
class Saved:
    """What saving the settings changed: whether loads need recomputing, and from which
    day (None: all of them)."""

    recompute: bool
    since: date | None


def save_settings(
    sessions: sessionmaker[Session],
    athlete_id: int,
    values: SettingsForm,
    applies_from: date | None,
    now: datetime,
) -> Saved | None:
    """Store the settings; None when the athlete is not stored (deleted meanwhile).

    A changed FTP, threshold heart rate or threshold pace is dated: it holds from
    ``applies_from`` (None: for every activity) and the loads from that day on are to be
    recomputed; a change to what scores every load (maximum or resting heart rate, sex)
    has them all recomputed. Nothing else changes a load.
    """
    new = {"ftp": values.ftp_watts, "threshold_hr": values.threshold_hr}
    new["threshold_pace"] = values.threshold_pace
    with transaction(sessions) as session:
        athlete = repository.get_athlete(session, athlete_id)
        if athlete is None:
            return None
        old = {
            "ftp": athlete.ftp_watts,
            "threshold_hr": athlete.threshold_hr,
            "threshold_pace": athlete.threshold_pace_s_per_km,
        }
        changed = [kind for kind in DATED_FIELDS if new[kind] != old[kind]]
        for kind in changed:
            start = applies_from or FROM_THE_START
            _keep_earlier(session, athlete_id, kind, old[kind])
            repository.set_threshold_from(session, athlete_id, kind, new[kind], start, SETTING)
        undated = (values.max_hr, values.resting_hr, values.sex) != (
            athlete.max_hr,
            athlete.resting_hr,
            athlete.sex,
        )
        recompute = bool(changed) or undated
        since = None if undated else applies_from
        if recompute:
            repository.request_recompute(session, athlete_id, since, now)
        athlete.ftp_watts = values.ftp_watts
        athlete.threshold_hr = values.threshold_hr
        athlete.threshold_pace_s_per_km = values.threshold_pace
        athlete.max_hr = values.max_hr
        athlete.resting_hr = values.resting_hr
        athlete.sex = values.sex
        athlete.weight_kg = values.weight_kg
        athlete.goal_event_name = values.goal_event_name
        athlete.goal_event_date = values.goal_event_date
        athlete.goal_event_priority = values.goal_event_priority
        return Saved(recompute, since)


@dataclass(frozen=True)
class SettingsView:
    """The settings as last saved (as the form shows them) and the thresholds in use."""

    form: dict[str, str]
    thresholds: tuple[ThresholdLine, ...]
    # The Strava connection: None (none), True (access stands) or False (Strava refused it).
    strava_connected: bool | None = None
    recompute: RecomputeView | None = None


def athlete_today_of(sessions: sessionmaker[Session], athlete_id: int, now: datetime) -> date:
    """The athlete's today (``local_day``), for a form that checks days against it."""
    with sessions() as session:
        return athlete_today(session, athlete_id, now)


def settings_view(
    sessions: sessionmaker[Session], athlete_id: int, today: date
) -> SettingsView | None:
    """What the settings page shows; None when the athlete is not stored."""
    with sessions() as session:
        athlete = repository.get_athlete(session, athlete_id)
        if athlete is None:
            return None
        lines = threshold_lines(thresholds_for(session, athlete, today))
        connection = connection_of(session, athlete_id)
        connected = None if connection is None else connection.connected
        progress = recompute_view(repository.recompute_of(session, athlete_id))
        return SettingsView(settings_form(athlete), lines, connected, progress)


def recompute_progress(sessions: sessionmaker[Session], athlete_id: int) -> RecomputeView | None:
    """How far the athlete's latest load recompute got (None: there was none)."""
    with sessions() as session:
        return recompute_view(repository.recompute_of(session, athlete_id))


def decide_ftp(
    sessions: sessionmaker[Session], athlete_id: int, watts: float, accept: bool, now: datetime
) -> bool:
    """The athlete's answer to a proposed FTP: accepted, it becomes their setting from
    today (earlier loads keep the FTP they were scored with) and today's loads on are to
    be recomputed; declined, it is remembered so it is not proposed again. False when the
    athlete is not stored."""
    with transaction(sessions) as session:
        athlete = repository.get_athlete(session, athlete_id)
        if athlete is None:
            return False
        if accept:
            today = athlete_today(session, athlete_id, now)
            _keep_earlier(session, athlete_id, FTP, athlete.ftp_watts)
            athlete.ftp_watts = watts
            repository.set_threshold_from(session, athlete_id, FTP, watts, today, ACCEPTED_ESTIMATE)
            repository.request_recompute(session, athlete_id, today, now)
        repository.set_declined_ftp(session, athlete_id, None if accept else watts)
        return True


def decide_threshold(
    sessions: sessionmaker[Session],
    athlete_id: int,
    kind: str,
    value: float,
    accept: bool,
    now: datetime,
) -> bool:
    """The athlete's answer to a proposed threshold heart rate or run pace (``kind``), as
    for FTP: accepted, it is their value from today on and today's loads on are to be
    recomputed; declined, it is not proposed again. False when the athlete is not stored."""
    with transaction(sessions) as session:
        athlete = repository.get_athlete(session, athlete_id)
        if athlete is None:
            return False
        if accept:
            today = athlete_today(session, athlete_id, now)
            if kind == THRESHOLD_HR:
                _keep_earlier(session, athlete_id, kind, athlete.threshold_hr)
                athlete.threshold_hr = value
            else:
                _keep_earlier(session, athlete_id, kind, athlete.threshold_pace_s_per_km)
                athlete.threshold_pace_s_per_km = value
            repository.set_threshold_from(
                session, athlete_id, kind, value, today, ACCEPTED_ESTIMATE
            )
            repository.request_recompute(session, athlete_id, today, now)
        repository.set_declined_threshold(session, athlete_id, kind, None if accept else value)
        return True
