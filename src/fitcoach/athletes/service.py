"""An athlete's coaching settings: what the settings page shows, and saving them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes import repository
from fitcoach.athletes.schemas import SettingsForm
from fitcoach.athletes.thresholds import thresholds_for
from fitcoach.athletes.views import ThresholdLine, settings_form, threshold_lines
from fitcoach.core.db import transaction
from fitcoach.strava.repository import connection_of


def save_settings(sessions: sessionmaker[Session], athlete_id: int, values: SettingsForm) -> bool:
    """Store the settings; False when the athlete is not stored (deleted meanwhile)."""
    with transaction(sessions) as session:
        athlete = repository.get_athlete(session, athlete_id)
        if athlete is None:
            return False
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
        return True


@dataclass(frozen=True)
class SettingsView:
    """The settings as last saved (as the form shows them) and the thresholds in use."""

    form: dict[str, str]
    thresholds: tuple[ThresholdLine, ...]
    # The Strava connection: None (none), True (access stands) or False (Strava refused it).
    strava_connected: bool | None = None


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
        return SettingsView(settings_form(athlete), lines, connected)


def decide_ftp(
    sessions: sessionmaker[Session], athlete_id: int, watts: float, accept: bool
) -> bool:
    """The athlete's answer to a proposed FTP: accepted, it becomes their setting; declined,
    it is remembered so it is not proposed again. False when the athlete is not stored."""
    with transaction(sessions) as session:
        athlete = repository.get_athlete(session, athlete_id)
        if athlete is None:
            return False
        if accept:
            athlete.ftp_watts = watts
        repository.set_declined_ftp(session, athlete_id, None if accept else watts)
        return True
