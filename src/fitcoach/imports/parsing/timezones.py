"""The local time of a recording from where it started: the time zone at its first
position (``timezonefinder``, offline polygons), at its start time, so summer time and
half-hour zones come out right. GPX and TCX carry no time zone at all; FIT files do when
the device wrote a local timestamp, and fall back to this when it did not."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from timezonefinder import TimezoneFinder

from fitcoach.imports.parsing import ranges
from fitcoach.imports.parsing.recording import Recording


@lru_cache(maxsize=1)
def _finder() -> TimezoneFinder:
    # Loading the polygons takes about half a second: once per process.
    return TimezoneFinder()


def start_position(recording: Recording) -> tuple[float, float] | None:
    """(latitude, longitude) of the first sample with a valid position."""
    for lat, lng in zip(recording.channels["lat"], recording.channels["lng"], strict=False):
        if ranges.sample("lat", lat) is not None and ranges.sample("lng", lng) is not None:
            return float(lat), float(lng)  # type: ignore[arg-type]
    return None


def local_offset(recording: Recording) -> int | None:
    """Local time minus UTC in seconds where and when the recording started; None when
    it has no position or no time. At sea (no zone) the longitude's solar zone."""
    position = start_position(recording)
    if position is None or not recording.times:
        return None
    lat, lng = position
    name = _finder().timezone_at(lng=lng, lat=lat)
    if name is None or name.startswith("Etc/"):
        return round(lng / 15.0) * 3600
    try:
        zone = ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return round(lng / 15.0) * 3600
    moment = datetime.fromtimestamp(recording.times[0], UTC)
    offset = moment.astimezone(zone).utcoffset()
    return None if offset is None else int(offset.total_seconds())
