"""GPX and TCX, the XML formats of activity files, read with lxml.

Neither format needs a document type declaration, and one is how XML attacks arrive
(entity expansion, external entities), so a file that declares one is refused before any
parser sees it. lxml also runs with entities and network access off.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from lxml import etree

from fitcoach.imports.errors import CorruptFile, UnsafeArchive
from fitcoach.imports.parsing.recording import Recording, sport_from_word

_HEAD_BYTES = 4096


def looks_like_xml(data: bytes) -> bool:
    head = data[:_HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _refuse_doctype(data: bytes, filename: str) -> None:
    head = data[:_HEAD_BYTES].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise UnsafeArchive(filename, "XML with a document type declaration is refused")


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _longitude_offset(lng: float | None) -> int | None:
    # GPX and TCX carry no time zone: the longitude's solar zone is a fair local time for
    # which day an activity belongs to, and only the day depends on it.
    return None if lng is None else round(lng / 15.0) * 3600


def _first(values: list[float | None]) -> float | None:
    return next((value for value in values if value is not None), None)


def _extension_values(extensions: etree._Element) -> dict[str, float | None]:
    """Heart rate, cadence and power from Garmin's and Strava's GPX extensions."""
    found: dict[str, float | None] = {}
    for node in extensions.iter():
        tag = node.tag.rsplit("}", 1)[-1].lower() if isinstance(node.tag, str) else ""
        if tag in ("hr", "heartrate"):
            found["heartrate"] = _float(node.text)
        elif tag in ("cad", "cadence"):
            found["cadence"] = _float(node.text)
        elif tag in ("power", "watts"):
            found["watts"] = _float(node.text)
    return found


def _parse(data: bytes, filename: str, kind: str) -> etree._Element:
    _refuse_doctype(data, filename)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise CorruptFile(filename, f"the {kind} file is malformed", detail=str(error)) from error


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return _utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def read_gpx(data: bytes, filename: str) -> Recording:
    """The track points of a GPX file (all tracks and segments, in time order)."""
    root = _parse(data, filename, "GPX")
    if not isinstance(root.tag, str) or not root.tag.endswith("gpx"):
        raise CorruptFile(filename, "not a GPX file (the root element is not <gpx>)")
    recording = Recording()
    kind: str | None = None
    for track in root.iter("{*}trk"):
        kind = kind or track.findtext("{*}type")
        recording.name = recording.name or track.findtext("{*}name")
        for point in track.iter("{*}trkpt"):
            moment = _time(point.findtext("{*}time"))
            if moment is None:
                continue
            extensions = point.find("{*}extensions")
            recording.add(
                moment.timestamp(),
                lat=_float(point.get("lat")),
                lng=_float(point.get("lon")),
                altitude=_float(point.findtext("{*}ele")),
                **(_extension_values(extensions) if extensions is not None else {}),
            )
    if not recording.times:
        raise CorruptFile(filename, "the GPX file has no timed track points")
    recording.name = recording.name or root.findtext("{*}metadata/{*}name")
    recording.sport_type = sport_from_word(kind)
    recording.utc_offset_s = _longitude_offset(_first(recording.channels["lng"]))
    return recording


_TCX_POINT_CHANNELS = {
    "AltitudeMeters": "altitude",
    "DistanceMeters": "distance",
    "Cadence": "cadence",
    "Speed": "speed",
    "Watts": "watts",
    "LatitudeDegrees": "lat",
    "LongitudeDegrees": "lng",
}


def read_tcx(data: bytes, filename: str) -> Recording:
    """The trackpoints and lap totals of a TCX file's first activity."""
    root = _parse(data, filename, "TCX")
    activity = next(root.iter("{*}Activity"), None)
    if activity is None:
        raise CorruptFile(filename, "the TCX file holds no activity")
    recording = Recording(sport_type=sport_from_word(activity.get("Sport")))
    elapsed = distance = 0.0
    for lap in activity.iter("{*}Lap"):
        elapsed += _float(lap.findtext("{*}TotalTimeSeconds")) or 0.0
        distance += _float(lap.findtext("{*}DistanceMeters")) or 0.0
    recording.moving_s = elapsed or None
    recording.distance_m = distance or None
    for point in activity.iter("{*}Trackpoint"):
        moment = _time(point.findtext("{*}Time"))
        if moment is None:
            continue
        values: dict[str, float | None] = {}
        for node in point.iter():
            if not isinstance(node.tag, str):
                continue
            local = node.tag.rsplit("}", 1)[-1]
            channel = _TCX_POINT_CHANNELS.get(local)
            if channel is not None:
                values[channel] = _float(node.text)
            elif local == "HeartRateBpm":
                values["heartrate"] = _float(node.findtext("{*}Value"))
        recording.add(moment.timestamp(), **values)
    if not recording.times:
        raise CorruptFile(filename, "the TCX file has no timed trackpoints")
    start_text = activity.findtext("{*}Id")
    if start_text:
        try:
            recording.start = _utc(
                datetime.fromisoformat(start_text.strip().replace("Z", "+00:00"))
            )
        except ValueError:
            recording.start = None
    creator = activity.findtext("{*}Creator/{*}Name")
    recording.device = creator.strip() if creator else None
    recording.utc_offset_s = _longitude_offset(_first(recording.channels["lng"]))
    return recording
