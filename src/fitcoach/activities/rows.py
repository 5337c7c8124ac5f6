"""Activity rows from a Strava activity document (SummaryActivity or DetailedActivity)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fitcoach.core.errors import FitcoachError
from fitcoach.models import Source


class BadActivityDocument(FitcoachError):
    """A Strava activity document lacks a field fitcoach needs; the message names it."""


def start_day(start: datetime, start_local: datetime | None) -> date:
    """The day an activity counts for: where it happened (its local start's date), else
    its UTC start's. Both are stored as UTC (the local one is the wall clock marked UTC),
    so the day is the stored value's."""
    return (start_local or start).astimezone(UTC).date()


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise BadActivityDocument(f"activity field {field!r} must be an ISO 8601 string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise BadActivityDocument(f"activity field {field!r} is not a time: {value!r}") from error


def _number(document: dict[str, Any], key: str) -> float | None:
    value = document.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def row_from_strava(document: dict[str, Any], athlete_id: int) -> dict[str, Any]:
    """The activity columns for a Strava SummaryActivity or DetailedActivity document of
    fitcoach's athlete ``athlete_id`` (listed or fetched with their token)."""
    if not isinstance(document.get("id"), int):
        raise BadActivityDocument("activity document has no integer 'id'")
    athlete = document.get("athlete")
    if not isinstance(athlete, dict) or not isinstance(athlete.get("id"), int):
        raise BadActivityDocument(f"activity {document['id']} has no 'athlete.id'")
    local = document.get("start_date_local")
    start = _parse_time(document.get("start_date"), "start_date")
    start_local = _parse_time(local, "start_date_local") if local else None
    return {
        "strava_id": document["id"],
        "athlete_id": athlete_id,
        "name": str(document.get("name") or ""),
        "sport_type": str(document.get("sport_type") or document.get("type") or "Workout"),
        "start_date": start,
        "start_date_local": start_local,
        "start_day": start_day(start, start_local),
        "timezone": document.get("timezone"),
        "moving_time_s": int(document.get("moving_time") or 0),
        "elapsed_time_s": int(document.get("elapsed_time") or 0),
        "distance_m": float(document.get("distance") or 0.0),
        "elevation_gain_m": float(document.get("total_elevation_gain") or 0.0),
        "average_watts": _number(document, "average_watts"),
        "weighted_average_watts": _number(document, "weighted_average_watts"),
        "device_watts": bool(document.get("device_watts")),
        "kilojoules": _number(document, "kilojoules"),
        "average_heartrate": _number(document, "average_heartrate"),
        "max_heartrate": _number(document, "max_heartrate"),
        "average_speed": _number(document, "average_speed"),
        "trainer": bool(document.get("trainer")),
        "commute": bool(document.get("commute")),
        "manual": bool(document.get("manual")),
        "private": bool(document.get("private")),
        "source": Source.STRAVA_API.value,
        "raw": document,
        # A changed document invalidates the computed load; the sync computes it again.
        "load": None,
        "load_method": None,
    }
