""" "Download my data" (GDPR Article 20): one zip of everything fitcoach holds of the
athlete, in formats other tools read.

- ``activities.csv`` and ``activities.json``: every activity, each with its provenance
  (``source``: the athlete's own file, their Strava archive, or Strava's API; the file it
  was imported from and that file's SHA-256; when fitcoach got it);
- ``profile.json``: the account (and the identity providers it signs in with), the
  thresholds they set, those in use with their sources, their dated history, the goal
  event;
- ``plan.json``: the training plan (its goal, hours, sports, the athlete's own changes)
  and the sessions of its current version;
- ``daily_loads.csv``: the training load fitcoach keeps per day where the activities are
  gone (retention, a disconnected Strava);
- ``README.txt``: what each file is. fitcoach does not keep the original files after it
  has read them, so there are none to include; the JSON holds what was read from each.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.accounts.queries import (
    activities_for_export,
    daily_loads_of,
    identities_of,
    imported_files_of,
    plan_of,
    planned_workouts_of,
)
from fitcoach.athletes.repository import get_athlete
from fitcoach.athletes.thresholds import entries_of, thresholds_for
from fitcoach.athletes.views import threshold_lines
from fitcoach.core.errors import NotLoggedIn
from fitcoach.models import Activity, ImportedFile

CSV_COLUMNS = (
    "id",
    "source",
    "strava_id",
    "claimed_strava_id",
    "imported_file",
    "file_sha256",
    "name",
    "sport_type",
    "start_date",
    "start_date_local",
    "timezone",
    "moving_time_s",
    "elapsed_time_s",
    "distance_m",
    "elevation_gain_m",
    "average_watts",
    "weighted_average_watts",
    "average_heartrate",
    "max_heartrate",
    "average_speed",
    "load",
    "load_method",
    "fetched_at",
)

README = """\
Your data from fitcoach, as of {at}.

activities.csv   every activity, one a line; `source` says where it came from:
                 file (a file you imported), archive (your Strava archive) or
                 strava_api (fetched from Strava with your permission);
                 `imported_file` and `file_sha256` name the file it was read from.
activities.json  the same activities with everything fitcoach read for each
                 (`document`), and their provenance.
profile.json     your account (with the identity providers you sign in with),
                 your settings, the thresholds in use and where each came from,
                 your goal event.
plan.json        your training plan and the sessions of its current version
                 (none when you have no plan).
daily_loads.csv  training load fitcoach keeps per day for activities it no
                 longer holds (data retention, a disconnected Strava).

fitcoach does not keep your original files after reading them, so they are not
in this archive; you still have them where you imported them from.
"""


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _provenance(activity: Activity, file: ImportedFile | None) -> dict[str, Any]:
    return {
        "source": activity.source,
        "strava_id": activity.strava_id,
        "claimed_strava_id": activity.claimed_strava_id,
        "imported_file": file.filename if file else None,
        "file_sha256": file.sha256 if file else None,
        "imported_at": _value(file.imported_at) if file else None,
        "fetched_at": _value(activity.fetched_at),
    }


def _row(activity: Activity, file: ImportedFile | None) -> dict[str, Any]:
    provenance = _provenance(activity, file)
    return {
        column: _value(provenance[column] if column in provenance else getattr(activity, column))
        for column in CSV_COLUMNS
    }


def _profile(session: Session, athlete_id: int, today: date) -> dict[str, Any]:
    athlete = get_athlete(session, athlete_id)
    if athlete is None:
        raise NotLoggedIn("Your fitcoach account does not exist any more.")
    lines = threshold_lines(thresholds_for(session, athlete, today))
    return {
        "account": {
            "id": athlete.id,
            "firstname": athlete.firstname,
            "lastname": athlete.lastname,
            "email": athlete.email,
            "created_at": _value(athlete.created_at),
            "signs_in_with": [
                {"issuer": identity.issuer, "subject": identity.subject}
                for identity in identities_of(session, athlete_id)
            ],
        },
        "settings": {
            "sex": athlete.sex,
            "weight_kg": athlete.weight_kg,
            "ftp_watts": athlete.ftp_watts,
            "threshold_hr": athlete.threshold_hr,
            "threshold_pace_s_per_km": athlete.threshold_pace_s_per_km,
            "max_hr": athlete.max_hr,
            "resting_hr": athlete.resting_hr,
        },
        "thresholds_in_use": [
            {"name": line.label, "value": line.value, "source": line.source} for line in lines
        ],
        # Each activity's load was scored with the entry of each kind in force on its day.
        "threshold_history": [
            {
                "name": entry.kind,
                "value": entry.value,
                "effective_from": _value(entry.effective_from),
                "source": entry.source,
            }
            for entry in sorted(entries_of(session, athlete), key=lambda e: e.effective_from)
        ],
        "goal_event": (
            {
                "name": athlete.goal_event_name,
                "date": _value(athlete.goal_event_date),
                "priority": athlete.goal_event_priority,
            }
            if athlete.goal_event_name
            else None
        ),
    }


def _plan(session: Session, athlete_id: int) -> dict[str, Any] | None:
    plan = plan_of(session, athlete_id)
    if plan is None:
        return None
    # The calendar feed's secret stays out: it is a key, not the athlete's data.
    return {
        "goal": {
            "name": plan.goal_name,
            "date": _value(plan.goal_date),
            "priority": plan.goal_priority,
            "sport": plan.goal_sport,
        },
        "hours": plan.hours,
        "sports": plan.sports,
        "own_changes": plan.locks,
        "version": plan.version,
        "sessions": [
            {
                "day": _value(workout.day),
                "sport": workout.sport,
                "workout_type": workout.workout_type,
                "name": workout.name,
                "minutes": workout.minutes,
                "planned_load": workout.planned_load,
                "reason": workout.reason,
                "locked": workout.locked,
            }
            for workout in planned_workouts_of(session, athlete_id, plan.version)
        ],
    }


def export_zip(store: sessionmaker[Session], athlete_id: int, now: datetime) -> bytes:
    """The athlete's data as a zip archive's bytes (read in one transaction)."""
    with store() as session:
        profile = _profile(session, athlete_id, now.date())
        plan = _plan(session, athlete_id)
        files = {file.activity_id: file for file in imported_files_of(session, athlete_id)}
        activities = activities_for_export(session, athlete_id)
        rows = [_row(activity, files.get(activity.id)) for activity in activities]
        documents = [
            {**row, "document": activity.raw}
            for row, activity in zip(rows, activities, strict=True)
        ]
        loads = [
            (load.day.isoformat(), load.source, load.load)
            for load in daily_loads_of(session, athlete_id)
        ]
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    carried = io.StringIO()
    load_writer = csv.writer(carried)
    load_writer.writerow(("day", "source", "load"))
    load_writer.writerows(loads)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("README.txt", README.format(at=now.isoformat()))
        bundle.writestr("activities.csv", table.getvalue())
        bundle.writestr("activities.json", json.dumps(documents, indent=1, default=str))
        bundle.writestr("profile.json", json.dumps(profile, indent=1))
        bundle.writestr("plan.json", json.dumps(plan, indent=1))
        bundle.writestr("daily_loads.csv", carried.getvalue())
    return archive.getvalue()
