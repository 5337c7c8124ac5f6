"""GPX and TCX, the XML formats of activity files, read with lxml.

Neither format needs a document type declaration, and one is how XML attacks arrive
(entity expansion, external entities), so a file that declares one is refused: lxml runs
with the DTD not loaded, entities not resolved and no network, and the parsed document is
refused when it has a doctype at all (whatever bytes came before it, in any encoding).

Points are read in file order (summary.py measures distance that way and judges the time
axis from it). A TCX file's laps are its summary: the first lap's ``StartTime`` is the
start (``<Id>`` is not: Garmin rounds it to the minute, Suunto writes it minutes early),
the laps' ``TotalTimeSeconds`` add up to the timer time, their distances to the distance.
A TCX file with several activities (a multisport session) gives one recording each, and
one for each transition between them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from lxml import etree

from fitcoach.imports.errors import CorruptFile, UnsafeArchive
from fitcoach.imports.parsing import ranges
from fitcoach.imports.parsing.recording import Recording, sport_from_word
from fitcoach.imports.parsing.recording import lap as strava_lap
from fitcoach.imports.parsing.timezones import local_offset

_HEAD_BYTES = 4096
# Byte order marks: UTF-16 files are XML too (the parser reads their declared encoding).
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def looks_like_xml(data: bytes) -> bool:
    if data.startswith(_UTF16_MARKS):
        codec = "utf-16-le" if data[0] == 0xFF else "utf-16-be"
        text = data[2:_HEAD_BYTES].decode(codec, "ignore")
        return text.lstrip(" \t\r\n").startswith("<")
    head = data[:_HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _refuse_doctype(root: etree._Element, filename: str) -> None:
    docinfo = root.getroottree().docinfo
    # A declaration of any kind: a name, an internal subset or an external identifier.
    declared = docinfo.doctype or docinfo.internalDTD is not None  # type: ignore[attr-defined]
    if declared or docinfo.externalDTD is not None or docinfo.system_url:
        raise UnsafeArchive(filename, "XML with a document type declaration is refused")


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _local(node: etree._Element) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


# Point extensions, by local name (any namespace): Garmin's TrackPointExtension (hr, cad,
# atemp, speed), its PowerExtension (PowerInWatts), Cluetrust's gpxdata (hr, cadence,
# temp) and the bare names Strava and apps write (heartrate, power).
_EXTENSION_CHANNELS = {
    "hr": "heartrate",
    "heartrate": "heartrate",
    "cad": "cadence",
    "cadence": "cadence",
    "power": "watts",
    "watts": "watts",
    "powerinwatts": "watts",
    "atemp": "temp",
    "temp": "temp",
    "temperature": "temp",
    "speed": "speed",
}


def _extension_values(extensions: etree._Element) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    for node in extensions.iter():
        channel = _EXTENSION_CHANNELS.get(_local(node).lower())
        if channel is not None and found.get(channel) is None:
            found[channel] = _float(node.text)
    return found


def _parse(data: bytes, filename: str, kind: str) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise CorruptFile(
            filename,
            f"the {kind} file is damaged or cut short, so fitcoach could not read it; export it "
            "again from your device or app",
            detail=str(error),
        ) from error
    _refuse_doctype(root, filename)
    return root


def _time(text: str | None) -> float | None:
    """Unix seconds of an ISO 8601 time (no zone: UTC), or None if it is not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return moment.timestamp()
    except (ValueError, OverflowError):
        return None


def read_gpx(data: bytes, filename: str) -> list[Recording]:
    """The track points of a GPX file (all tracks and segments, in file order)."""
    root = _parse(data, filename, "GPX")
    if not isinstance(root.tag, str) or not root.tag.endswith("gpx"):
        raise CorruptFile(filename, "not a GPX file (the root element is not <gpx>)")
    recording = Recording()
    kind: str | None = None
    tracks = list(root.iter("{*}trk"))
    for track in tracks:
        kind = kind or track.findtext("{*}type")
        recording.name = recording.name or track.findtext("{*}name")
        for point in track.iter("{*}trkpt"):
            moment = _time(point.findtext("{*}time"))
            if moment is None:
                continue
            extensions = point.find("{*}extensions")
            values = _extension_values(extensions) if extensions is not None else {}
            values.setdefault("speed", _float(point.findtext("{*}speed")))  # GPX 1.0
            recording.add(
                moment,
                lat=_float(point.get("lat")),
                lng=_float(point.get("lon")),
                altitude=_float(point.findtext("{*}ele")),
                **values,
            )
    if not recording.times:
        raise CorruptFile(filename, "the GPX file has no timed track points")
    if len(tracks) == 1:
        _track_statistics(recording, tracks[0])
    recording.name = recording.name or root.findtext("{*}metadata/{*}name")
    recording.sport_type = sport_from_word(kind)
    recording.utc_offset_s = local_offset(recording)
    return [recording]


def _track_statistics(recording: Recording, track: etree._Element) -> None:
    """Garmin's TrackStatsExtension, the summary a Garmin GPX carries for its track."""
    stats = track.find("{*}extensions/{*}TrackStatsExtension")
    if stats is None:
        return
    recording.distance_m = _float(stats.findtext("{*}Distance"))
    recording.elapsed_s = _float(stats.findtext("{*}TotalElapsedTime"))
    recording.moving_s = _float(stats.findtext("{*}TimerTime")) or _float(
        stats.findtext("{*}MovingTime")
    )
    recording.elevation_gain_m = _float(stats.findtext("{*}Ascent"))
    recording.average_heartrate = _float(stats.findtext("{*}AvgHeartRate"))
    recording.max_heartrate = _float(stats.findtext("{*}MaxHeartRate"))


_TCX_POINT_CHANNELS = {
    "AltitudeMeters": "altitude",
    "DistanceMeters": "distance",
    "Cadence": "cadence",
    "RunCadence": "cadence",
    "Speed": "speed",
    "Watts": "watts",
    "LatitudeDegrees": "lat",
    "LongitudeDegrees": "lng",
}


def read_tcx(data: bytes, filename: str) -> list[Recording]:
    """A recording per activity of a TCX file (and per multisport transition)."""
    root = _parse(data, filename, "TCX")
    legs = list(root.iter("{*}Activity", "{*}Transition"))
    if not any(_local(leg) == "Activity" for leg in legs):
        raise CorruptFile(filename, "the TCX file holds no activity")
    creator = root.findtext(".//{*}Activity/{*}Creator/{*}Name")
    recordings = []
    for leg in legs:
        if _local(leg) == "Activity":
            recording = _tcx_activity(leg, filename)
        else:
            recording = Recording(name="Transition")
            _lap_totals(recording, [leg], [])
        recording.device = creator.strip() if creator else None
        recording.utc_offset_s = local_offset(recording)
        recordings.append(recording)
    return recordings


def _tcx_activity(activity: etree._Element, filename: str) -> Recording:
    recording = Recording(sport_type=sport_from_word(activity.get("Sport")))
    for point in activity.iter("{*}Trackpoint"):
        moment = _time(point.findtext("{*}Time"))
        if moment is None:
            continue
        values: dict[str, float | None] = {}
        for node in point.iter():
            local = _local(node)
            channel = _TCX_POINT_CHANNELS.get(local)
            if channel is not None:
                values[channel] = _float(node.text)
            elif local == "HeartRateBpm":
                values["heartrate"] = _float(node.findtext("{*}Value"))
        recording.add(moment, **values)
    laps = activity.findall("{*}Lap")
    if not recording.times and not laps:
        raise CorruptFile(filename, "the TCX file has no timed trackpoints")
    _lap_totals(recording, laps, recording.times)
    recording.laps = [_tcx_lap(index + 1, node) for index, node in enumerate(laps)]
    return recording


def _tcx_lap(index: int, node: etree._Element) -> dict[str, float | None]:
    """A TCX ``Lap`` in Strava's lap shape (TCX gives timer time only: no elapsed)."""
    seconds = _float(node.findtext("{*}TotalTimeSeconds"))
    distance = _float(node.findtext("{*}DistanceMeters"))
    speed = _float(node.findtext("{*}Extensions/{*}LX/{*}AvgSpeed"))
    if speed is None and seconds and distance is not None:
        speed = distance / seconds
    return strava_lap(
        index,
        elapsed_time=None,
        moving_time=seconds,
        distance=distance,
        average_speed=speed,
        total_elevation_gain=None,
        average_heartrate=_float(node.findtext("{*}AverageHeartRateBpm/{*}Value")),
        max_heartrate=_float(node.findtext("{*}MaximumHeartRateBpm/{*}Value")),
        average_watts=_float(node.findtext("{*}Extensions/{*}LX/{*}AvgWatts")),
        average_cadence=_float(node.findtext("{*}Cadence")),
    )


def _lap_values(laps: list[etree._Element], path: str) -> list[float] | None:
    """Each lap's value at ``path``; None when any lap's is unreadable or out of range
    (the sum would be wrong: the trackpoints then give the total)."""
    values = []
    for lap in laps:
        text = lap.findtext(path)
        if text is None:
            continue
        value = _float(text)
        if value is None or not 0 <= value <= ranges.MAX_DISTANCE_M:
            return None
        values.append(value)
    return values or None


def _lap_totals(recording: Recording, laps: list[etree._Element], times: list[float]) -> None:
    """The laps' totals: timer time, distance, heart rate and power, start and end."""
    timer = [
        t if t is not None and 0 <= t <= ranges.MAX_DURATION_S else None
        for t in (_float(lap.findtext("{*}TotalTimeSeconds")) for lap in laps)
    ]
    starts = [_time(lap.get("StartTime")) for lap in laps]
    valid_timer = None not in timer and bool(timer)
    if valid_timer:
        recording.moving_s = sum(t for t in timer if t is not None)
    distances = _lap_values(laps, "{*}DistanceMeters")
    recording.distance_m = sum(distances) if distances else None
    start = starts[0] if starts else None
    if start is not None:
        recording.start = datetime.fromtimestamp(start, UTC)
        ends = [s + t for s, t in zip(starts, timer, strict=True) if s is not None and t]
        # Trackpoints after the last lap's end (a paused timer) still belong to it.
        ends += [t for t in times if start <= t <= start + ranges.MAX_DURATION_S]
        if ends:
            recording.elapsed_s = max(ends) - start
    weights: list[float | None] = timer if valid_timer else [None] * len(laps)
    recording.average_heartrate = _weighted(laps, "{*}AverageHeartRateBpm/{*}Value", weights)
    recording.max_heartrate = max(
        (v for lap in laps if (v := _float(lap.findtext("{*}MaximumHeartRateBpm/{*}Value")))),
        default=None,
    )
    recording.average_watts = _weighted(laps, "{*}Extensions/{*}LX/{*}AvgWatts", weights)


def _weighted(laps: list[etree._Element], path: str, weights: list[float | None]) -> float | None:
    """The laps' average of ``path`` weighted by their timer time (missing laps left out)."""
    pairs = [
        (value, weight)
        for lap, weight in zip(laps, weights, strict=True)
        if (value := _float(lap.findtext(path))) and weight
    ]
    total = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total > 0 else None
