"""FIT files (what devices write and Strava keeps as the original), read with fitdecode.

fitdecode streams the file frame by frame, so a long ride never sits in memory twice.
CRC errors are fatal: a FIT file with a bad checksum has a changed byte somewhere, and a
silently wrong power reading is worse than a file reported as corrupt.

The device's own summary is the truth: each ``session`` message gives its activity's
start, sport, elapsed and timer time, distance, ascent, averages and maxima; ``lap`` (and,
for pool swims, ``length``) messages fill what a session leaves out. Messages may come in
any order (summary first or last, ``sport`` before or after ``session``): everything is
collected first and put together at the end. A file with several sessions (multisport:
swim, transition, bike…) gives one recording per session, with the records of its time
range.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import fitdecode

from fitcoach.imports.errors import CorruptFile
from fitcoach.imports.parsing.ranges import finite
from fitcoach.imports.parsing.recording import Recording, fit_sport, lap
from fitcoach.imports.parsing.timezones import local_offset

SEMICIRCLE_DEG = 180.0 / 2**31
FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z, where FIT's clock starts
# Date-time values below this are the device's own clock (seconds since it was switched
# on), not UTC: they need an anchor (FIT protocol, "date_time").
RELATIVE_BELOW = 0x10000000
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
    "temperature": "temp",
}
_ENHANCED = frozenset({"enhanced_altitude", "enhanced_speed"})
# Records this close outside their session's time range still belong to it (a device
# writes its first record a moment before the session's start, its last one after).
SESSION_MARGIN_S = 300.0
_SUMMARY_MESSAGES = frozenset({"session", "lap", "length", "sport", "activity", "file_id"})

# A FIT time as read: Unix seconds (float) or the device's relative clock (int).
FitTime = float | int


def looks_like_fit(data: bytes) -> bool:
    return len(data) >= 12 and data[8:12] == b".FIT"


def _time(value: Any) -> FitTime | None:
    """Unix seconds for an absolute FIT time, the raw count for a relative one."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return float(value + FIT_EPOCH_S) if value >= RELATIVE_BELOW else value
    return None


@dataclass
class _Messages:
    """What a FIT file holds, collected in file order before anything is decided."""

    records: list[tuple[FitTime | None, dict[str, float | None]]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    laps: list[dict[str, Any]] = field(default_factory=list)
    lengths: list[dict[str, Any]] = field(default_factory=list)
    sports: list[dict[str, Any]] = field(default_factory=list)
    activity: dict[str, Any] = field(default_factory=dict)
    file_id: dict[str, Any] = field(default_factory=dict)
    correlation: dict[str, Any] = field(default_factory=dict)
    device: str | None = None


def read_fit(data: bytes, filename: str) -> list[Recording]:
    """The recordings of a FIT activity file: one per session (one for most files)."""
    if not looks_like_fit(data):
        raise CorruptFile(filename, "not a FIT file (no FIT header)")
    messages = _read(data, filename)
    offset = _clock_offset(messages)
    sessions = sorted(
        (_Session.of(fields, offset) for fields in messages.sessions),
        key=lambda s: (s.start is None, s.start or 0.0),
    )
    if not sessions:
        # No session message (some apps and truncated files): the laps, or the records
        # alone, describe the one activity.
        sessions = [_Session({}, None)]
    records = _placed_records(messages.records, offset, filename)
    recordings = []
    for index, session in enumerate(sessions):
        # Each session takes the records from its start to the next session's start; the
        # first one also those just before it, the last one those just after its end.
        # Records far outside every session are a clock fault (a GPS time years off).
        low = session.start if index else _minus(session.start, SESSION_MARGIN_S)
        high = (
            sessions[index + 1].start
            if index + 1 < len(sessions)
            else _minus(session.end, -SESSION_MARGIN_S)
        )
        placed = index == 0 or session.start is not None
        recording = Recording()
        for stamp, values in records if placed else []:
            if (low is None or stamp >= low) and (high is None or stamp < high):
                recording.add(stamp, **values)
        laps = _within(messages.laps, offset, low, high) if placed else []
        lengths = _within(messages.lengths, offset, low, high) if placed else []
        sport = _sport_of(session.fields, messages.sports, index, len(sessions))
        _summarise_into(recording, session, laps, lengths, sport, offset)
        if len(sessions) == 1:
            recording.moving_s = recording.moving_s or finite(
                messages.activity.get("total_timer_time")
            )
        recording.device = messages.device
        # The device's own local time first; without one, the zone where it started.
        recording.utc_offset_s = _utc_offset(messages.activity)
        if recording.utc_offset_s is None:
            recording.utc_offset_s = local_offset(recording)
        recordings.append(recording)
    return recordings


def _read(data: bytes, filename: str) -> _Messages:
    messages = _Messages()
    try:
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE, keep_raw_chunks=False
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                name = frame.name
                if name == "record":
                    messages.records.append(_record(frame))
                elif name in _SUMMARY_MESSAGES:
                    _collect(messages, name, {f.name: f.value for f in frame.fields})
                elif name == "timestamp_correlation" and not messages.correlation:
                    messages.correlation = {f.name: f.value for f in frame.fields}
    except fitdecode.FitCRCError as error:
        raise CorruptFile(filename, "the FIT checksum does not match", detail=str(error)) from error
    except fitdecode.FitEOFError as error:
        raise CorruptFile(filename, "the FIT file is truncated") from error
    except (fitdecode.FitError, ValueError, KeyError, IndexError) as error:
        raise CorruptFile(filename, "the FIT file is malformed", detail=str(error)) from error
    return messages


def _collect(messages: _Messages, name: str, fields: dict[str, Any]) -> None:
    if name == "session":
        messages.sessions.append(fields)
    elif name == "lap":
        messages.laps.append(fields)
    elif name == "length":
        messages.lengths.append(fields)
    elif name == "sport":
        messages.sports.append(fields)
    elif name == "activity":
        messages.activity = messages.activity or fields
    elif name == "file_id" and not messages.file_id:
        messages.file_id = fields
        product = fields.get("garmin_product", fields.get("product"))
        maker = fields.get("manufacturer")
        messages.device = " ".join(str(p) for p in (maker, product) if p is not None) or None


def _record(frame: fitdecode.FitDataMessage) -> tuple[FitTime | None, dict[str, float | None]]:
    values: dict[str, float | None] = {}
    stamp: FitTime | None = None
    for item in frame.fields:
        name = item.name
        if name == "timestamp":
            stamp = _time(item.value)
            continue
        channel = _RECORD_FIELDS.get(name)
        if channel is None:
            continue
        value = finite(item.value)
        if channel in values and (value is None or name not in _ENHANCED):
            continue  # the enhanced field, or an earlier reading, already gave it
        values[channel] = value
    for key in ("lat", "lng"):
        if values.get(key) is not None:
            values[key] = values[key] * SEMICIRCLE_DEG  # type: ignore[operator]
    return stamp, values


def _clock_offset(messages: _Messages) -> float | None:
    """Seconds to add to the device's relative clock to get Unix time, if the file says.

    A ``timestamp_correlation`` message pairs the two clocks; without one, the file's
    ``time_created`` (when the device started the file) is taken as its clock's zero.
    """
    correlation = messages.correlation
    utc = _time(correlation.get("timestamp"))
    system = correlation.get("system_timestamp")
    if isinstance(utc, float) and isinstance(system, int | float) and not isinstance(system, bool):
        return utc - float(system)
    created = _time(messages.file_id.get("time_created"))
    return created if isinstance(created, float) else None


def _absolute(value: FitTime | None, offset: float | None) -> float | None:
    if isinstance(value, float):
        return value
    if isinstance(value, int) and offset is not None:
        return offset + value
    return None


def _placed_records(
    records: list[tuple[FitTime | None, dict[str, float | None]]],
    offset: float | None,
    filename: str,
) -> list[tuple[float, dict[str, float | None]]]:
    placed: list[tuple[float, dict[str, float | None]]] = []
    relative_without_anchor = False
    for stamp, values in records:
        moment = _absolute(stamp, offset)
        if moment is None:
            relative_without_anchor |= isinstance(stamp, int)
            continue  # a record without a time cannot be placed on the time axis
        placed.append((moment, values))
    if relative_without_anchor and not placed:
        raise CorruptFile(
            filename,
            "no valid time: its timestamps count from when the device was switched on, "
            "and the file gives no clock time to place them",
        )
    return placed


@dataclass
class _Session:
    fields: dict[str, Any]
    start: float | None
    end: float | None = None

    @classmethod
    def of(cls, fields: dict[str, Any], offset: float | None) -> _Session:
        start = _absolute(_time(fields.get("start_time")), offset)
        # The longer of elapsed and timer time: some devices swap the two.
        durations = [
            d
            for name in ("total_elapsed_time", "total_timer_time")
            if (d := finite(fields.get(name))) is not None and d >= 0
        ]
        duration = max(durations, default=None)
        if start is None:
            end = _absolute(_time(fields.get("timestamp")), offset)
            if end is not None and duration is not None:
                start = end - duration
        end = start + duration if start is not None and duration is not None else None
        return cls(fields, start, end)


def _minus(moment: float | None, seconds: float) -> float | None:
    return None if moment is None else moment - seconds


def _within(
    messages: list[dict[str, Any]], offset: float | None, low: float | None, high: float | None
) -> list[dict[str, Any]]:
    """The laps or lengths that started within [low, high) (all of them, unbounded)."""
    if low is None and high is None:
        return messages
    chosen = []
    for fields in messages:
        start = _absolute(_time(fields.get("start_time")), offset)
        if start is None:
            continue
        if (low is None or start >= low) and (high is None or start < high):
            chosen.append(fields)
    return chosen


def _sport_of(
    session: dict[str, Any], sports: list[dict[str, Any]], index: int, count: int
) -> tuple[object, object]:
    """(sport, sub_sport): the session's own, else its ``sport`` message's."""
    if session.get("sport") is not None:
        return session.get("sport"), session.get("sub_sport")
    message: dict[str, Any] = {}
    if len(sports) == count:
        message = sports[index]
    elif sports:
        message = sports[0]
    return message.get("sport"), message.get("sub_sport")


def _sum(messages: Sequence[dict[str, Any]], name: str) -> float | None:
    values = [v for m in messages if (v := finite(m.get(name))) is not None]
    return sum(values) if values else None


def _weighted(messages: Sequence[dict[str, Any]], name: str) -> float | None:
    """The laps' average of ``name``, each lap weighted by its timer time."""
    pairs = [
        (value, weight)
        for m in messages
        if (value := finite(m.get(name))) and (weight := finite(m.get("total_timer_time")))
    ]
    total = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total > 0 else None


def _maximum(messages: Sequence[dict[str, Any]], name: str) -> float | None:
    values = [v for m in messages if (v := finite(m.get(name))) is not None]
    return max(values) if values else None


def _first(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)


def _summarise_into(
    recording: Recording,
    session: _Session,
    laps: list[dict[str, Any]],
    lengths: list[dict[str, Any]],
    sport: tuple[object, object],
    offset: float | None,
) -> None:
    """The session's totals, the laps' where the session has none (lengths last)."""
    s = session.fields
    recording.sport_type, recording.trainer = fit_sport(*sport)
    if str(sport[0]) == "transition":
        recording.name = "Transition"
    first_lap = min(
        (t for lap in laps if (t := _absolute(_time(lap.get("start_time")), offset))),
        default=None,
    )
    start = _first(session.start, first_lap)
    if start is not None:
        recording.start = datetime.fromtimestamp(start, UTC)
    active = [length for length in lengths if length.get("length_type") != "idle"]
    recording.elapsed_s = _first(
        finite(s.get("total_elapsed_time")), _sum(laps, "total_elapsed_time")
    )
    recording.moving_s = _first(
        finite(s.get("total_timer_time")),
        finite(s.get("total_moving_time")),
        _sum(laps, "total_timer_time"),
        _sum(active, "total_timer_time"),
    )
    recording.distance_m = _first(finite(s.get("total_distance")), _sum(laps, "total_distance"))
    recording.elevation_gain_m = _first(finite(s.get("total_ascent")), _sum(laps, "total_ascent"))
    recording.average_heartrate = _first(
        finite(s.get("avg_heart_rate")), _weighted(laps, "avg_heart_rate")
    )
    recording.max_heartrate = _first(
        finite(s.get("max_heart_rate")), _maximum(laps, "max_heart_rate")
    )
    recording.average_watts = _first(finite(s.get("avg_power")), _weighted(laps, "avg_power"))
    recording.weighted_average_watts = finite(s.get("normalized_power"))
    work = _first(finite(s.get("total_work")), _sum(laps, "total_work"))
    recording.kilojoules = work / 1000.0 if work is not None else None
    ordered = sorted(laps, key=lambda m: _absolute(_time(m.get("start_time")), offset) or 0.0)
    recording.laps = [
        lap(
            index + 1,
            elapsed_time=finite(m.get("total_elapsed_time")),
            moving_time=finite(m.get("total_timer_time")),
            distance=finite(m.get("total_distance")),
            average_speed=_first(finite(m.get("enhanced_avg_speed")), finite(m.get("avg_speed"))),
            total_elevation_gain=finite(m.get("total_ascent")),
            average_heartrate=finite(m.get("avg_heart_rate")),
            max_heartrate=finite(m.get("max_heart_rate")),
            average_watts=finite(m.get("avg_power")),
            average_cadence=finite(m.get("avg_cadence")),
        )
        for index, m in enumerate(ordered)
    ]


def _utc_offset(activity: dict[str, Any]) -> int | None:
    """Local time minus UTC, from the activity message's local timestamp."""
    utc = _time(activity.get("timestamp"))
    local = activity.get("local_timestamp")
    if not isinstance(utc, float) or local is None:
        return None
    local_s = float(local + FIT_EPOCH_S) if isinstance(local, int) else _time(local)
    if not isinstance(local_s, float):
        return None
    offset = round((local_s - utc) / 900) * 900  # time zones are whole quarter hours
    return offset if abs(offset) <= 14 * 3600 else None
