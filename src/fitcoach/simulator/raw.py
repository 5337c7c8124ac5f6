"""Activities imported from raw Strava JSON documents (e.g. a real API response replayed)."""

from __future__ import annotations

import calendar
import time
from typing import Any

from .models import Activity


class RawActivityError(ValueError):
    """The document lacks a field the simulator needs; the message names it."""


def _epoch(value: Any, field: str) -> int:
    if not isinstance(value, str):
        raise RawActivityError(f"{field} must be an ISO 8601 date-time string")
    try:
        return calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError as exc:
        raise RawActivityError(f"{field} is not an ISO 8601 date-time: {value!r}") from exc


def _num(doc: dict[str, Any], key: str) -> float | None:
    value = doc.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def from_raw(
    doc: dict[str, Any], athlete_id: int, seed: int, streams: dict[str, Any] | None = None
) -> Activity:
    """An activity that serves `doc` back as-is, apart from the fields the simulator owns."""
    if "start_date" not in doc:
        raise RawActivityError("start_date is required")
    start = _epoch(doc["start_date"], "start_date")
    sport = doc.get("sport_type") or doc.get("type")
    if not isinstance(sport, str):
        raise RawActivityError("sport_type (or type) is required")
    moving = int(doc.get("moving_time") or doc.get("elapsed_time") or 0)
    offset = doc.get("utc_offset")
    if not isinstance(offset, int | float):
        local = doc.get("start_date_local")
        offset = _epoch(local, "start_date_local") - start if isinstance(local, str) else 0
    hr = _num(doc, "average_heartrate")
    raw_id = doc.get("id")
    return Activity(
        id=raw_id if isinstance(raw_id, int) else 0,
        athlete_id=athlete_id,
        seed=seed,
        sport_type=sport,
        workout="raw",
        start=start,
        utc_offset=int(offset),
        name=str(doc.get("name", "")),
        moving_time=moving,
        elapsed_time=int(doc.get("elapsed_time") or moving),
        distance=_num(doc, "distance") or 0.0,
        total_elevation_gain=_num(doc, "total_elevation_gain") or 0.0,
        average_speed=_num(doc, "average_speed") or 0.0,
        max_speed=_num(doc, "max_speed") or 0.0,
        average_watts=_num(doc, "average_watts"),
        average_heartrate=hr,
        trainer=bool(doc.get("trainer", False)),
        commute=bool(doc.get("commute", False)),
        manual=bool(doc.get("manual", False)),
        private=bool(doc.get("private", False)),
        description=str(doc.get("description") or ""),
        has_streams=streams is not None,
        gps=bool(doc.get("start_latlng")),
        raw=dict(doc),
        raw_streams=streams,
    )
