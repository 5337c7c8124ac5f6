"""FIT files (what devices write and Strava keeps as the original), read with fitdecode.

fitdecode streams the file frame by frame, so a long ride never sits in memory twice.
CRC errors are fatal: a FIT file with a bad checksum has a changed byte somewhere, and a
silently wrong power reading is worse than a file reported as corrupt.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import fitdecode

from fitcoach.imports.errors import CorruptFile
from fitcoach.imports.parsing.recording import Recording, fit_sport

SEMICIRCLE_DEG = 180.0 / 2**31
FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z, where FIT's clock starts
# Record fields -> recording channels; the "enhanced" ones (32-bit) win when both exist.
_RECORD_FIELDS = {
    "power": "watts",
    "heart_rate": "heartrate",
    "cadence": "cadence",
    "altitude": "altitude",
    "enhanced_altitude": "altitude",
    "distance": "distance",
    "speed": "speed",
    "enhanced_speed": "speed",
    "position_lat": "lat",
    "position_long": "lng",
}
_ENHANCED = frozenset({"enhanced_altitude", "enhanced_speed"})


def looks_like_fit(data: bytes) -> bool:
    return len(data) >= 12 and data[8:12] == b".FIT"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, int) and value >= 0x10000000:
        return float(value + FIT_EPOCH_S)
    return None


def read_fit(data: bytes, filename: str) -> Recording:
    """The samples and session totals of a FIT activity file."""
    if not looks_like_fit(data):
        raise CorruptFile(filename, "not a FIT file (no FIT header)")
    recording = Recording()
    session: dict[str, Any] = {}
    activity: dict[str, Any] = {}
    device: str | None = None
    try:
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE, keep_raw_chunks=False
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                name = frame.name
                if name == "record":
                    _add_record(recording, frame)
                elif name == "session" and not session:
                    session = {f.name: f.value for f in frame.fields}
                elif name == "activity":
                    activity = {f.name: f.value for f in frame.fields}
                elif name == "sport" and not session:
                    session.setdefault("sport", frame.get_value("sport", fallback=None))
                    session.setdefault("sub_sport", frame.get_value("sub_sport", fallback=None))
                elif name == "file_id":
                    product = frame.get_value("garmin_product", fallback=None)
                    maker = frame.get_value("manufacturer", fallback=None)
                    device = " ".join(str(p) for p in (maker, product) if p is not None) or None
    except fitdecode.FitCRCError as error:
        raise CorruptFile(filename, "the FIT checksum does not match", detail=str(error)) from error
    except fitdecode.FitEOFError as error:
        raise CorruptFile(filename, "the FIT file is truncated") from error
    except (fitdecode.FitError, ValueError, KeyError, IndexError) as error:
        raise CorruptFile(filename, "the FIT file is malformed", detail=str(error)) from error
    recording.sport_type, recording.trainer = fit_sport(
        session.get("sport"), session.get("sub_sport")
    )
    recording.device = device
    start = _epoch(session.get("start_time"))
    if start is not None:
        recording.start = datetime.fromtimestamp(start, UTC)
    recording.elapsed_s = _number(session.get("total_elapsed_time"))
    recording.moving_s = _number(session.get("total_timer_time"))
    recording.distance_m = _number(session.get("total_distance"))
    recording.elevation_gain_m = _number(session.get("total_ascent"))
    recording.utc_offset_s = _offset(activity)
    return recording


def _add_record(recording: Recording, frame: fitdecode.FitDataMessage) -> None:
    values: dict[str, float | None] = {}
    stamp: float | None = None
    for field in frame.fields:
        name = field.name
        if name == "timestamp":
            stamp = _epoch(field.value)
            continue
        channel = _RECORD_FIELDS.get(name)
        if channel is None:
            continue
        value = _number(field.value)
        if value is None and channel in values:
            continue
        if channel in values and name not in _ENHANCED:
            continue  # the enhanced field already gave this channel
        values[channel] = value
    if stamp is None:
        return  # a record without time cannot be placed on the time axis
    for key in ("lat", "lng"):
        if values.get(key) is not None:
            values[key] = values[key] * SEMICIRCLE_DEG  # type: ignore[operator]
    recording.add(stamp, **values)


def _offset(activity: dict[str, Any]) -> int | None:
    """Local time minus UTC, from the activity message's local timestamp."""
    utc = _epoch(activity.get("timestamp"))
    local = activity.get("local_timestamp")
    if utc is None or local is None:
        return None
    local_s = float(local + FIT_EPOCH_S) if isinstance(local, int) else _epoch(local)
    if local_s is None:
        return None
    offset = round((local_s - utc) / 900) * 900  # time zones are whole quarter hours
    return offset if abs(offset) <= 14 * 3600 else None
