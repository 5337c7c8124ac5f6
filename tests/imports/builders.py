"""Realistic activity files written by the tests themselves: FIT (a small encoder of the
FIT protocol, independent of the decoder under test), GPX, TCX, and a Strava-style bulk
export archive (``activities.csv`` plus the files it names).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import struct
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip
# FIT base types: (code, struct format, invalid value)
ENUM, UINT8, UINT16, SINT32, UINT32 = (
    (0x00, "B", 0xFF),
    (0x02, "B", 0xFF),
    (0x84, "H", 0xFFFF),
    (0x85, "i", 0x7FFFFFFF),
    (0x86, "I", 0xFFFFFFFF),
)
SPORTS = {"cycling": 2, "running": 1, "swimming": 5, "transition": 3}
SUB_SPORTS = {"generic": 0, "road": 7, "lap_swimming": 17, "virtual_activity": 58}


def fit_crc(data: bytes, crc: int = 0) -> int:
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = _CRC_TABLE[crc & 0xF]
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[nibble]
    return crc


def fit_time(moment: datetime) -> int:
    return int((moment - FIT_EPOCH).total_seconds())


class FitWriter:
    """Definition and data messages in little-endian order, header and CRCs around them."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.defined: dict[int, tuple[int, tuple[tuple[int, tuple[int, str, int]], ...]]] = {}

    def message(
        self, global_number: int, fields: Sequence[tuple[int, tuple[int, str, int], object]]
    ) -> None:
        layout = tuple((number, base) for number, base, _ in fields)
        local = global_number % 16
        if self.defined.get(local) != (global_number, layout):
            self.body += struct.pack("<BBBHB", 0x40 | local, 0, 0, global_number, len(layout))
            for number, (code, fmt, _) in layout:
                self.body += struct.pack("<BBB", number, struct.calcsize(fmt), code)
            self.defined[local] = (global_number, layout)
        self.body += struct.pack("<B", local)
        for _, (_, fmt, invalid), value in fields:
            self.body += struct.pack("<" + fmt, invalid if value is None else value)

    def bytes(self) -> bytes:
        header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        header += struct.pack("<H", fit_crc(header))
        content = header + bytes(self.body)
        return content + struct.pack("<H", fit_crc(content))


@dataclass
class Workout:
    """A synthetic session: one sample per second, with the channels it has."""

    sport: str
    start: datetime
    seconds: int
    power: list[int] | None = None
    heart_rate: list[int] | None = None
    speed: list[float] = field(default_factory=list)
    altitude: list[float] = field(default_factory=list)
    cadence: list[int] | None = None
    lat0: float = 46.2
    lng0: float = 6.14
    gps: bool = True

    def position(self, metres: float) -> tuple[float, float]:
        """Where the athlete is after ``metres`` along a straight line (north-east)."""
        north, east = 0.8 * metres, 0.6 * metres
        return (
            self.lat0 + north / 111_195,
            self.lng0 + east / (111_195 * math.cos(math.radians(self.lat0))),
        )

    @property
    def distance(self) -> list[float]:
        total, out = 0.0, []
        for value in self.speed:
            total += value
            out.append(total)
        return out


def ride(start: datetime, seconds: int = 3600, ftp: int = 250, seed: int = 1) -> Workout:
    """A 1 Hz ride: warm-up, intervals at 110 % FTP, endurance; power, HR, cadence."""
    power, heart, speed, altitude, cadence = [], [], [], [], []
    for t in range(seconds):
        block = (t // 300) % 3
        watts = ftp * (0.6 if t < 600 else 1.1 if block == 1 else 0.75)
        watts += 15 * math.sin(t / 7 + seed)
        power.append(max(0, round(watts)))
        heart.append(round(110 + 50 * watts / ftp / 1.1))
        speed.append(7.0 + 2.5 * watts / ftp)
        altitude.append(400 + 30 * math.sin(t / 600))
        cadence.append(88 if watts > 10 else 0)
    return Workout("cycling", start, seconds, power, heart, speed, altitude, cadence)


def run(start: datetime, seconds: int = 2700, seed: int = 2) -> Workout:
    """A 1 Hz run with heart rate, no power."""
    heart = [
        round(135 + 20 * min(1.0, t / 600) + 3 * math.sin(t / 11 + seed)) for t in range(seconds)
    ]
    speed = [3.2 + 0.3 * math.sin(t / 90) for t in range(seconds)]
    altitude = [210 + 8 * math.sin(t / 300) for t in range(seconds)]
    cadence = [86] * seconds
    return Workout("running", start, seconds, None, heart, speed, altitude, cadence)


def swim(start: datetime, seconds: int = 1800) -> Workout:
    """A pool swim: no GPS, distance from the lengths, heart rate."""
    speed = [1.05] * seconds
    heart = [128 + (t // 120) % 5 for t in range(seconds)]
    return Workout("swimming", start, seconds, None, heart, speed, [], None, gps=False)


FitField = tuple[int, tuple[int, str, int], object]
# A FIT message: its global number and its fields (number, base type, value).
FitMessage = tuple[int, list[FitField]]
FILE_ID, SPORT, SESSION, LAP, RECORD, ACTIVITY, LENGTH, CORRELATION = (
    0,
    12,
    18,
    19,
    20,
    34,
    101,
    162,
)


def fit_bytes(messages: Sequence[FitMessage]) -> bytes:
    """A FIT file of these messages, in this order."""
    writer = FitWriter()
    for number, fields in messages:
        writer.message(number, fields)
    return writer.bytes()


@dataclass
class FitParts:
    """A FIT activity file in pieces, to be put together in any order: the file_id
    message, the records, and the summary messages (sport, lap, session, activity)."""

    head: list[FitMessage]
    records: list[FitMessage]
    summary: list[FitMessage]

    def messages(self) -> list[FitMessage]:
        return [*self.head, *self.records, *self.summary]


def fit_records(workout: Workout, *, every: int = 1, clock: int | None = None) -> list[FitMessage]:
    """The workout's record messages; ``clock`` writes times on a relative device clock
    (seconds since it was switched on, starting at ``clock``) instead of UTC."""
    start = fit_time(workout.start) if clock is None else clock
    distance = workout.distance
    records: list[FitMessage] = []
    for t in range(0, workout.seconds, every):
        fields: list[FitField] = [(253, UINT32, start + t)]
        if workout.gps:
            lat, lng = workout.position(distance[t])
            fields += [(0, SINT32, round(lat * 2**31 / 180)), (1, SINT32, round(lng * 2**31 / 180))]
        if workout.altitude:
            fields.append((2, UINT16, round((workout.altitude[t] + 500) * 5)))
        if workout.heart_rate:
            fields.append((3, UINT8, workout.heart_rate[t]))
        if workout.cadence:
            fields.append((4, UINT8, workout.cadence[t]))
        fields.append((5, UINT32, round(distance[t] * 100)))
        fields.append((6, UINT16, round(workout.speed[t] * 1000)))
        if workout.power:
            fields.append((7, UINT16, workout.power[t]))
        records.append((RECORD, fields))
    return records


def fit_totals(workout: Workout, *, averages: bool = False) -> list[FitField]:
    """The totals a lap or session message of the whole workout carries (and, with
    ``averages``, the session's average and maximum heart rate and power, and ascent)."""
    start = fit_time(workout.start)
    totals: list[FitField] = [
        (253, UINT32, start + workout.seconds - 1),
        (2, UINT32, start),
        (7, UINT32, (workout.seconds - 1) * 1000),
        (8, UINT32, (workout.seconds - 1) * 1000),
        (9, UINT32, round(workout.distance[-1] * 100)),
    ]
    if averages and workout.heart_rate:
        heart = workout.heart_rate
        totals += [(16, UINT8, round(sum(heart) / len(heart))), (17, UINT8, max(heart))]
    if averages and workout.power:
        totals.append((20, UINT16, round(sum(workout.power) / len(workout.power))))
    if averages:
        totals.append((22, UINT16, 123))
    return totals


def _sub_sport(workout: Workout) -> str:
    return "lap_swimming" if workout.sport == "swimming" else "generic"


def fit_parts(
    workout: Workout,
    *,
    every: int = 1,
    utc_offset_h: int = 1,
    sport_message: bool = False,
    averages: bool = False,
) -> FitParts:
    """The workout as FIT messages. ``sport_message``: the sport is written in a ``sport``
    message only, not in the session (as many devices do); ``averages``: the session
    carries its own heart-rate, power and ascent figures."""
    start = fit_time(workout.start)
    head: list[FitMessage] = [
        (FILE_ID, [(0, ENUM, 4), (1, UINT16, 1), (2, UINT16, 3121), (4, UINT32, start)])
    ]
    sport = [(5, ENUM, SPORTS[workout.sport]), (6, ENUM, SUB_SPORTS[_sub_sport(workout)])]
    session = fit_totals(workout, averages=averages) + ([] if sport_message else sport)
    end = start + workout.seconds - 1
    summary: list[FitMessage] = [
        (LAP, fit_totals(workout)),
        (SESSION, session),
        (ACTIVITY, [(253, UINT32, end), (1, UINT16, 1), (5, UINT32, end + utc_offset_h * 3600)]),
    ]
    if sport_message:
        codes = [(0, ENUM, SPORTS[workout.sport]), (1, ENUM, SUB_SPORTS[_sub_sport(workout)])]
        summary.insert(0, (SPORT, codes))
    return FitParts(head, fit_records(workout, every=every), summary)


def fit_file(workout: Workout, *, every: int = 1, utc_offset_h: int = 1) -> bytes:
    """The workout as a FIT activity file (file_id, records, lap, session, activity)."""
    return fit_bytes(fit_parts(workout, every=every, utc_offset_h=utc_offset_h).messages())


def multisport_fit(legs: Sequence[Workout]) -> bytes:
    """One FIT file of several sessions (a triathlon: swim, transition, bike…): all
    records in time order, then a lap and a session per leg, then the activity."""
    created = fit_time(legs[0].start)
    messages: list[FitMessage] = [
        (FILE_ID, [(0, ENUM, 4), (1, UINT16, 1), (2, UINT16, 3121), (4, UINT32, created)])
    ]
    for leg in legs:
        messages += fit_records(leg)
    for leg in legs:
        sport = [(5, ENUM, SPORTS[leg.sport]), (6, ENUM, SUB_SPORTS[_sub_sport(leg)])]
        messages += [(LAP, fit_totals(leg)), (SESSION, [*fit_totals(leg), *sport])]
    end = fit_time(legs[-1].start) + legs[-1].seconds - 1
    messages.append((ACTIVITY, [(253, UINT32, end), (1, UINT16, len(legs))]))
    return fit_bytes(messages)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gpx_file(workout: Workout, *, every: int = 1, name: str = "Lunch Run") -> bytes:
    """The workout as Strava writes a GPX export: Garmin TrackPointExtension for HR/cadence."""
    kind = {"cycling": "cycling", "running": "running", "swimming": "swimming"}[workout.sport]
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx creator="StravaGPX" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        f" <metadata><time>{_iso(workout.start)}</time></metadata>\n"
        f" <trk><name>{name}</name><type>{kind}</type><trkseg>\n"
    )
    distance = workout.distance
    for t in range(0, workout.seconds, every):
        lat, lng = workout.position(distance[t])
        ext = ""
        if workout.heart_rate:
            cad = f"<gpxtpx:cad>{workout.cadence[t]}</gpxtpx:cad>" if workout.cadence else ""
            ext = (
                "<extensions><gpxtpx:TrackPointExtension>"
                f"<gpxtpx:hr>{workout.heart_rate[t]}</gpxtpx:hr>{cad}"
                "</gpxtpx:TrackPointExtension></extensions>"
            )
        alt = f"<ele>{workout.altitude[t]:.1f}</ele>" if workout.altitude else ""
        moment = workout.start + timedelta(seconds=t)
        out.write(
            f'  <trkpt lat="{lat:.7f}" lon="{lng:.7f}">{alt}'
            f"<time>{_iso(moment)}</time>{ext}</trkpt>\n"
        )
    out.write(" </trkseg></trk>\n</gpx>\n")
    return out.getvalue().encode()


def tcx_file(workout: Workout, *, every: int = 1) -> bytes:
    """The workout as Garmin's TCX: one lap, trackpoints with HR, cadence and power."""
    sport = {"cycling": "Biking", "running": "Running", "swimming": "Other"}[workout.sport]
    distance = workout.distance
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<TrainingCenterDatabase "
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
        f' <Activities><Activity Sport="{sport}"><Id>{_iso(workout.start)}</Id>\n'
        f'  <Lap StartTime="{_iso(workout.start)}"><TotalTimeSeconds>{workout.seconds - 1}'
        f"</TotalTimeSeconds><DistanceMeters>{distance[-1]:.1f}</DistanceMeters><Track>\n"
    )
    for t in range(0, workout.seconds, every):
        moment = workout.start + timedelta(seconds=t)
        parts = [f"<Time>{_iso(moment)}</Time>"]
        if workout.gps:
            lat, lng = workout.position(distance[t])
            parts.append(
                f"<Position><LatitudeDegrees>{lat:.7f}</LatitudeDegrees>"
                f"<LongitudeDegrees>{lng:.7f}</LongitudeDegrees></Position>"
            )
        if workout.altitude:
            parts.append(f"<AltitudeMeters>{workout.altitude[t]:.1f}</AltitudeMeters>")
        parts.append(f"<DistanceMeters>{distance[t]:.1f}</DistanceMeters>")
        if workout.heart_rate:
            parts.append(f"<HeartRateBpm><Value>{workout.heart_rate[t]}</Value></HeartRateBpm>")
        if workout.cadence:
            parts.append(f"<Cadence>{workout.cadence[t]}</Cadence>")
        ext = f"<ns3:Speed>{workout.speed[t]:.3f}</ns3:Speed>"
        if workout.power:
            ext += f"<ns3:Watts>{workout.power[t]}</ns3:Watts>"
        parts.append(f"<Extensions><ns3:TPX>{ext}</ns3:TPX></Extensions>")
        out.write(f"   <Trackpoint>{''.join(parts)}</Trackpoint>\n")
    out.write("  </Track></Lap></Activity></Activities>\n</TrainingCenterDatabase>\n")
    return out.getvalue().encode()


# The columns of a real export's activities.csv, in order (some names appear twice: the
# first "Distance" is in the athlete's display unit, the second in metres).
CSV_HEADER = (  # noqa: SIM905 - one line of the real file, as it reads
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,"
    "Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,"
    "Average Speed,Elevation Gain,Elevation Loss,Elevation Low,Elevation High,Max Grade,"
    "Average Grade,Average Positive Grade,Average Negative Grade,Max Cadence,Average Cadence,"
    "Max Heart Rate,Average Heart Rate,Max Watts,Average Watts,Calories,Max Temperature,"
    "Average Temperature,Relative Effort,Total Work,Number of Runs,Uphill Time,Downhill Time,"
    "Other Time,Perceived Exertion,Type,Start Time,Weighted Average Power,Power Count,"
    "Prefer Perceived Exertion,Perceived Relative Effort,Commute,Total Weight Lifted,"
    "From Upload,Grade Adjusted Distance"
).split(",")
_TYPES = {"cycling": "Ride", "running": "Run", "swimming": "Swim"}


@dataclass(frozen=True)
class ArchiveItem:
    """One activity of a generated archive, with what the simulator's API would say."""

    strava_id: int
    workout: Workout
    filename: str
    name: str

    def strava_document(self, athlete_id: int) -> dict[str, object]:
        """The same activity as Strava's API would describe it."""
        w = self.workout
        doc: dict[str, object] = {
            "id": self.strava_id,
            "athlete": {"id": athlete_id},
            "name": self.name,
            "type": _TYPES[w.sport],
            "sport_type": _TYPES[w.sport],
            "start_date": _iso(w.start),
            "start_date_local": _iso(w.start + timedelta(hours=1)),
            "timezone": "(GMT+01:00) Europe/Zurich",
            "elapsed_time": w.seconds - 1,
            "moving_time": w.seconds - 1,
            "distance": round(w.distance[-1], 1),
            "total_elevation_gain": 10.0,
            "average_heartrate": 140.0 if w.heart_rate else None,
            "manual": False,
            "private": False,
            "trainer": False,
            "commute": False,
        }
        if w.power:
            doc.update(average_watts=200.0, weighted_average_watts=210.0, device_watts=True)
        return doc


def archive_items(
    count: int, start: datetime, *, seconds: int = 60, first_id: int = 9_000_000_000
) -> Iterator[ArchiveItem]:
    """``count`` activities a day apart: rides (FIT, gzipped), runs (GPX), swims (TCX)."""
    for i in range(count):
        moment = start + timedelta(days=i, hours=7)
        kind = i % 3
        if kind == 0:
            workout, name, file = (
                ride(moment, seconds, seed=i),
                "Morning Ride",
                f"activities/{first_id + i}.fit.gz",
            )
        elif kind == 1:
            workout, name, file = (
                run(moment, seconds, seed=i),
                "Morning Run",
                f"activities/{first_id + i}.gpx",
            )
        else:
            workout, name, file = swim(moment, seconds), "Pool", f"activities/{first_id + i}.tcx.gz"
        yield ArchiveItem(first_id + i, workout, file, name)


def content_of(item: ArchiveItem) -> bytes:
    if item.filename.endswith(".fit.gz"):
        return gzip.compress(fit_file(item.workout), compresslevel=1)
    if item.filename.endswith(".gpx"):
        return gpx_file(item.workout, name=item.name)
    return gzip.compress(tcx_file(item.workout), compresslevel=1)


def csv_row(item: ArchiveItem) -> list[str]:
    w = item.workout
    values = dict.fromkeys(range(len(CSV_HEADER)), "")
    values.update(
        {
            0: str(item.strava_id),
            1: w.start.strftime("%b %-d, %Y, %-I:%M:%S %p"),
            2: item.name,
            3: _TYPES[w.sport],
            5: str(w.seconds - 1),
            6: f"{w.distance[-1] / 1000:.2f}",
            9: "false",
            12: item.filename,
            15: f"{w.seconds - 1}.0",
            16: f"{w.seconds - 1}.0",
            17: f"{w.distance[-1]:.1f}",
            20: "10.0",
            52: "1.0",
        }
    )
    return [values[i] for i in range(len(CSV_HEADER))]


def write_archive(
    path: Path,
    items: Sequence[ArchiveItem],
    *,
    extra: dict[str, bytes] | None = None,
    replace: dict[str, bytes] | None = None,
    manual: int = 0,
) -> Path:
    """A Strava-style export zip: activities.csv and activities/<id>.<ext>[.gz]."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(CSV_HEADER)
        for item in items:
            writer.writerow(csv_row(item))
        for number in range(manual):
            row = [""] * len(CSV_HEADER)
            row[0], row[1], row[2], row[3] = (
                str(8_000_000_000 + number),
                f"Jan {3 + number}, 2019, 6:00:00 PM",
                "Yoga",
                "Yoga",
            )
            row[5] = row[15] = row[16] = "1800"
            writer.writerow(row)
        archive.writestr("activities.csv", text.getvalue())
        for item in items:
            archive.writestr(
                item.filename,
                (replace or {}).get(item.filename) or content_of(item),
                compress_type=zipfile.ZIP_STORED
                if item.filename.endswith(".gz")
                else zipfile.ZIP_DEFLATED,
            )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path
