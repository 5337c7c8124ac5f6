"""Home towns with coordinates and time zones, and the daylight-saving rules they follow.

The DST rules are computed here rather than read from the system's tz database so that the
generated history is identical on every machine (containers often lack tzdata).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    country: str
    lat: float
    lng: float
    tz: str
    std_offset: int  # seconds east of UTC outside daylight-saving time
    dst: str | None  # "eu", "us" or None


PLACES = (
    Place("Zürich", "ZH", "Switzerland", 47.3769, 8.5417, "Europe/Zurich", 3600, "eu"),
    Place("Kraków", "Małopolskie", "Poland", 50.0647, 19.9450, "Europe/Warsaw", 3600, "eu"),
    Place("Girona", "Catalunya", "Spain", 41.9794, 2.8214, "Europe/Madrid", 3600, "eu"),
    Place("Montréal", "QC", "Canada", 45.5019, -73.5674, "America/Montreal", -18000, "us"),
    Place("Boulder", "CO", "United States", 40.0150, -105.2705, "America/Denver", -25200, "us"),
    Place("São Paulo", "SP", "Brazil", -23.5505, -46.6333, "America/Sao_Paulo", -10800, None),
    Place("Tromsø", "Troms", "Norway", 69.6492, 18.9553, "Europe/Oslo", 3600, "eu"),
    Place("Kyōto", "Kyoto", "Japan", 35.0116, 135.7681, "Asia/Tokyo", 32400, None),
    Place("Cape Town", "WC", "South Africa", -33.9249, 18.4241, "Africa/Johannesburg", 7200, None),
    Place("Annecy", "Auvergne-Rhône-Alpes", "France", 45.8992, 6.1294, "Europe/Paris", 3600, "eu"),
    Place("Phoenix", "AZ", "United States", 33.4484, -112.0740, "America/Phoenix", -25200, None),
    Place("Dún Laoghaire", "Dublin", "Ireland", 53.2940, -6.1339, "Europe/Dublin", 0, "eu"),
)


def _nth_sunday(year: int, month: int, n: int) -> int:
    """Day of month of the n-th Sunday (n = -1: the last one)."""
    days = calendar.monthrange(year, month)[1]
    sundays = [d for d in range(1, days + 1) if calendar.weekday(year, month, d) == 6]
    return sundays[n] if n < 0 else sundays[n - 1]


def _dst_bounds(year: int, rule: str, std_offset: int) -> tuple[int, int]:
    """UTC epoch seconds where daylight time starts and ends in `year`."""
    if rule == "eu":  # last Sunday of March and of October, 01:00 UTC
        start = calendar.timegm((year, 3, _nth_sunday(year, 3, -1), 1, 0, 0))
        end = calendar.timegm((year, 10, _nth_sunday(year, 10, -1), 1, 0, 0))
        return start, end
    # US: second Sunday of March 02:00 local standard, first Sunday of November 02:00 local daylight
    start = calendar.timegm((year, 3, _nth_sunday(year, 3, 2), 2, 0, 0)) - std_offset
    end = calendar.timegm((year, 11, _nth_sunday(year, 11, 1), 2, 0, 0)) - std_offset - 3600
    return start, end


_BOUNDS_CACHE: dict[tuple[int, str, int], tuple[int, int]] = {}


def utc_offset(place: Place, epoch: float) -> int:
    """Seconds east of UTC in force at `place` at the instant `epoch`."""
    if place.dst is None:
        return place.std_offset
    year = int(epoch // 31_556_952) + 1970
    # The year estimate can be off by one near New Year; DST is never in force then anyway.
    key = (year, place.dst, place.std_offset)
    bounds = _BOUNDS_CACHE.get(key)
    if bounds is None:
        bounds = _dst_bounds(year, place.dst, place.std_offset)
        _BOUNDS_CACHE[key] = bounds
    start, end = bounds
    if place.lat < 0:  # no southern-hemisphere place here observes DST
        return place.std_offset
    return place.std_offset + 3600 if start <= epoch < end else place.std_offset


def timezone_label(place: Place) -> str:
    """Strava's `timezone` string: the standard offset, then the zone name."""
    sign = "+" if place.std_offset >= 0 else "-"
    hours, rem = divmod(abs(place.std_offset), 3600)
    return f"(GMT{sign}{hours:02d}:{rem // 60:02d}) {place.tz}"


def place_by_tz(tz: str) -> Place:
    for place in PLACES:
        if place.tz == tz:
            return place
    return PLACES[0]
