"""What a recorded value may be: the rules every parser's samples and totals pass through.

A value outside its range is a fault of the device or the file, never a measurement: a
sample is dropped (it becomes missing, like a sensor dropout), a file's total is ignored
(the streams then give it), and a file left with no valid time or no duration is refused
(docs/files.md, "Values out of range"). Nothing out of range reaches the maths, so no
overflow or absurd load can come of it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

# Times: FIT's clock starts at the end of 1989; nothing recorded before 1990 is a real
# activity (GPSBabel writes 1901 for "no time"); a clock a day ahead of ours is wrong.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
# The longest activity fitcoach stores (multi-day ultra events fit; a file spanning years
# is a clock fault) and the farthest, in metres.
MAX_DURATION_S = 14 * 24 * 3600.0
MAX_DISTANCE_M = 10_000_000.0
MAX_ASCENT_M = 100_000.0
MAX_KILOJOULES = 100_000.0

# Per-sample channels: (lowest, highest) plausible reading. Heart rate below 20 bpm or
# above 250 is a strap fault; 3000 W is above any sprinter's peak; 100 m/s is 360 km/h.
SAMPLE_RANGES: dict[str, tuple[float, float]] = {
    "watts": (0.0, 3000.0),
    "heartrate": (20.0, 250.0),
    "cadence": (0.0, 300.0),
    "altitude": (-500.0, 9000.0),
    "distance": (0.0, MAX_DISTANCE_M),
    "speed": (0.0, 100.0),
    "temp": (-60.0, 70.0),
    "lat": (-90.0, 90.0),
    "lng": (-180.0, 180.0),
}
# Summary values use the sample ranges of their channel; averages of zero are missing.
SUMMARY_RANGES: dict[str, tuple[float, float]] = {
    "elapsed_s": (0.0, MAX_DURATION_S),
    "moving_s": (0.0, MAX_DURATION_S),
    "distance_m": (0.0, MAX_DISTANCE_M),
    "elevation_gain_m": (0.0, MAX_ASCENT_M),
    "kilojoules": (0.0, MAX_KILOJOULES),
    "average_watts": (1.0, 3000.0),
    "weighted_average_watts": (1.0, 3000.0),
    "average_heartrate": (20.0, 250.0),
    "max_heartrate": (20.0, 250.0),
}


def finite(value: object) -> float | None:
    """A finite float, or None for anything else (text, NaN, infinities, bools)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        return None
    return number if math.isfinite(number) else None


def within(value: float | None, bounds: tuple[float, float]) -> float | None:
    if value is None:
        return None
    low, high = bounds
    return value if low <= value <= high else None


def sample(channel: str, value: float | None) -> float | None:
    """The reading if plausible for its channel, else None (a dropped sample)."""
    bounds = SAMPLE_RANGES.get(channel)
    if value is None or bounds is None:
        return value
    if channel == "heartrate" and value == 0:
        return None  # straps write 0 when they lose contact: missing, not a reading
    return within(value, bounds)


def total(name: str, value: object) -> float | None:
    """A file's own total if plausible, else None (the streams then give it)."""
    return within(finite(value), SUMMARY_RANGES[name])


def valid_time(epoch_s: float, now: datetime) -> bool:
    """Whether a Unix time can be when an activity happened."""
    return EARLIEST.timestamp() <= epoch_s <= (now + FUTURE_SLACK).timestamp()
