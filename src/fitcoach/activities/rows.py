"""Activity rows from a Strava activity document (SummaryActivity or DetailedActivity).

What Strava sends is cleaned of what the databases refuse before it is stored: text loses
NUL characters and unpaired surrogates (PostgreSQL refuses both, in text and JSON), and
numbers that are not finite become null in the kept document. A number no column can hold
(a duration beyond 2^31 s, an infinite distance) makes the row ``BadActivityDocument``:
the sync skips that activity, records why, and stores the rest of its page.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from fitcoach.core.errors import FitcoachError
from fitcoach.models import Source


class BadActivityDocument(FitcoachError):
    """A Strava activity document lacks a field fitcoach needs, or holds a value no column
    can; the message names the field."""


# The largest value of the INTEGER columns (PostgreSQL's is 32-bit).
MAX_INTEGER = 2**31 - 1
# NUL (refused in PostgreSQL text and JSONB) and unpaired UTF-16 surrogates (not UTF-8).
_REFUSED_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` without the characters the databases refuse."""
    return _REFUSED_CHARACTERS.sub("", value)


def clean_document(value: Any) -> Any:
    """A JSON document with every string (and key) cleaned and every non-finite number
    made null, so that it can be stored as it came otherwise."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_document(item) for item in value]
    return value


def _integer(document: dict[str, Any], key: str) -> int:
    value = document.get(key) or 0
    if isinstance(value, float) and not math.isfinite(value):
        raise BadActivityDocument(f"activity field {key!r} is not a finite number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadActivityDocument(f"activity field {key!r} is not a number: {value!r}") from None
    if abs(number) > MAX_INTEGER:
        raise BadActivityDocument(f"activity field {key!r} is out of range: {number}")
    return number


def _measure(document: dict[str, Any], key: str) -> float:
    try:
        number = float(document.get(key) or 0.0)
    except (TypeError, ValueError):
        raise BadActivityDocument(f"activity field {key!r} is not a number") from None
    if not math.isfinite(number):
        raise BadActivityDocument(f"activity field {key!r} is not a finite number")
    return number


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
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    number = float(value)
    # An optional measure that cannot be right (infinite) is left out, not the activity.
    return number if math.isfinite(number) else None


def row_from_strava(document: dict[str, Any], athlete_id: int) -> dict[str, Any]:
    """The activity columns for a Strava SummaryActivity or DetailedActivity document of
    fitcoach's athlete ``athlete_id`` (listed or fetched with their token)."""
    document = clean_document(document)
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
        "sport_type": str(document.get("sport_type") or document.get("type") or "Workout")[:64],
        "start_date": start,
        "start_date_local": start_local,
        "start_day": start_day(start, start_local),
        "timezone": str(document["timezone"])[:64] if document.get("timezone") else None,
        "moving_time_s": _integer(document, "moving_time"),
        "elapsed_time_s": _integer(document, "elapsed_time"),
        "distance_m": _measure(document, "distance"),
        "elevation_gain_m": _measure(document, "total_elevation_gain"),
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
