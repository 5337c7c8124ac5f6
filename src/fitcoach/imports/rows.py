"""Activity columns from the athlete's own data: a parsed file, an archive's CSV row, or both.

Within an archive the CSV row gives what the athlete chose on Strava (name, sport type,
commute) and Strava's own summary numbers, so an archive activity reads the same as the
API summary it replaces; the file gives the exact start, the streams and whatever the
CSV left empty. ``raw`` holds a Strava-shaped document of these values plus provenance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fitcoach.activities.rows import start_day
from fitcoach.imports.parsing.archive import CsvActivity
from fitcoach.imports.parsing.summary import FileActivity


def default_name(sport_type: str, local_start: datetime) -> str:
    """Strava's own naming for untitled activities ("Morning Ride")."""
    hour = local_start.hour
    part = (
        "Night"
        if hour < 5 or hour >= 22
        else "Morning"
        if hour < 12
        else "Lunch"
        if hour < 14
        else "Afternoon"
        if hour < 18
        else "Evening"
    )
    noun = {"VirtualRide": "Virtual Ride", "WeightTraining": "Weight Training"}.get(
        sport_type, sport_type
    )
    return f"{part} {noun}"


def _pick(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)


def own_row(
    athlete_id: int,
    source: str,
    parsed: FileActivity | None,
    csv: CsvActivity | None,
) -> dict[str, Any]:
    """The activity's columns (no ``id``) from a file, a CSV row, or both."""
    if parsed is None and (csv is None or csv.start is None):
        raise ValueError("an activity needs a file or a CSV row with a start time")
    start = parsed.start if parsed is not None else csv.start  # type: ignore[union-attr]
    assert start is not None
    local = parsed.start_local if parsed is not None else start
    sport = (csv.sport_type if csv else None) or (parsed.sport_type if parsed else "Workout")

    def both(csv_field: str, file_field: str | None = None) -> float | None:
        """The CSV's value, else the file's (the file's first when named first)."""
        from_csv = getattr(csv, csv_field) if csv else None
        from_file = getattr(parsed, file_field or csv_field) if parsed else None
        return _pick(from_csv, from_file)

    elapsed = both("elapsed_s") or 0.0
    moving = both("moving_s") or elapsed
    distance = both("distance_m") or 0.0
    weighted = _pick(
        parsed.weighted_average_watts if parsed else None,
        csv.weighted_average_watts if csv else None,
    )
    name = (csv.name if csv else "") or (parsed.name if parsed else None)
    name = name or default_name(sport, local)
    p = parsed
    values: dict[str, Any] = {
        "athlete_id": athlete_id,
        "name": name,
        "sport_type": sport,
        "start_date": start,
        "start_date_local": local,
        "start_day": start_day(start, local),
        "timezone": None,
        "moving_time_s": round(moving),
        "elapsed_time_s": round(elapsed),
        "distance_m": float(distance),
        "elevation_gain_m": float(both("elevation_gain_m") or 0.0),
        "average_watts": both("average_watts"),
        "weighted_average_watts": weighted,
        "device_watts": bool(p and "watts" in p.streams) or weighted is not None,
        "kilojoules": p.kilojoules if p else None,
        "average_heartrate": both("average_heartrate"),
        "max_heartrate": both("max_heartrate"),
        "average_speed": round(distance / moving, 3) if moving else None,
        "trainer": bool(p and p.trainer),
        "commute": bool(csv and csv.commute),
        "manual": p is None and not (csv and csv.filename),
        "private": False,
        "source": source,
        "multisport_group": p.multisport_group if p else None,
        "load": None,
        "load_method": None,
    }
    values["raw"] = _document(values, parsed, csv)
    return values


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _document(
    values: dict[str, Any], parsed: FileActivity | None, csv: CsvActivity | None
) -> dict[str, Any]:
    """A Strava-shaped summary of the row, and where it came from."""
    document = {
        "id": csv.strava_id if csv else None,
        "name": values["name"],
        "sport_type": values["sport_type"],
        "type": values["sport_type"],
        "start_date": _iso(values["start_date"]),
        "start_date_local": _iso(values["start_date_local"]),
        "elapsed_time": values["elapsed_time_s"],
        "moving_time": values["moving_time_s"],
        "distance": values["distance_m"],
        "total_elevation_gain": values["elevation_gain_m"],
        "average_watts": values["average_watts"],
        "weighted_average_watts": values["weighted_average_watts"],
        "average_heartrate": values["average_heartrate"],
        "max_heartrate": values["max_heartrate"],
        "trainer": values["trainer"],
        "commute": values["commute"],
        "manual": values["manual"],
    }
    if parsed is not None and parsed.laps:
        document["laps"] = parsed.laps
    document["fitcoach"] = {
        "source": values["source"],
        "file": parsed.filename if parsed else (csv.filename if csv else None),
        "sha256": parsed.sha256 if parsed else None,
        "device": parsed.device if parsed else None,
        "utc_offset_s": parsed.utc_offset_s if parsed else None,
    }
    if parsed is not None and parsed.multisport_group is not None:
        document["fitcoach"]["leg"] = parsed.leg
    if parsed is not None and not parsed.time_reliable:
        # The file's times ran backwards: no speed or moving time was derived from them.
        document["fitcoach"]["time_reliable"] = False
    return document
