"""Zip archives: Strava's bulk export (``activities.csv`` joined to the files it names) or a
plain zip of activity files.

Nothing is extracted to disk: each member is read into memory, checked against the
limits, parsed and dropped, so no member name can place a file anywhere, and memory
holds one activity at a time whatever the archive's size.
"""

from __future__ import annotations

import csv
import io
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fitcoach.imports.errors import CorruptFile, FilesError, TooLarge, UnsafeArchive
from fitcoach.imports.parsing import ranges
from fitcoach.imports.parsing.formats import activity_suffix
from fitcoach.imports.parsing.limits import MIB, Limits

CSV_NAME = "activities.csv"
# The date format of the English export ("Oct 7, 2020, 2:43:11 PM", in UTC), and of the
# exports before mid-2019 ("2018-09-12 15:02:23", UTC too).
_CSV_DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ")
# Strava's export before mid-2019 had ten lower-case columns, its distance in metres:
# id,date,name,type,description,elapsed_time,distance,commute,gear,filename
# (as reported when Strava renamed them, github.com/hugovk/strava-tools/pull/1). Read
# under today's names.
_OLDER_COLUMNS = {
    "id": "Activity ID",
    "date": "Activity Date",
    "name": "Activity Name",
    "type": "Activity Type",
    "description": "Activity Description",
    "elapsed_time": "Elapsed Time",
    "distance": "Distance",
    "commute": "Commute",
    "gear": "Activity Gear",
    "filename": "Filename",
}
_READ_CHUNK = 1024 * 1024
# Strava ids are positive 64-bit integers; an activity name is kept to Strava's own length.
MAX_STRAVA_ID = 2**63
MAX_NAME = 255


def is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06")


@dataclass(frozen=True)
class CsvActivity:
    """One row of ``activities.csv``: what the athlete's export says about an activity."""

    strava_id: int
    start: datetime | None
    name: str
    sport_type: str
    filename: str
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None
    elevation_gain_m: float | None
    average_heartrate: float | None
    max_heartrate: float | None
    average_watts: float | None
    weighted_average_watts: float | None
    commute: bool


@dataclass
class Entry:
    """One activity of an archive: its CSV row (in a Strava export), its file, or both."""

    name: str
    row: CsvActivity | None = None
    member: zipfile.ZipInfo | None = None
    problem: FilesError | None = None


@dataclass
class Archive:
    """An opened archive and its entries in order; ``problems`` are members refused."""

    zip: zipfile.ZipFile
    entries: list[Entry]
    is_strava_export: bool
    problems: list[FilesError] = field(default_factory=list)

    def covers_up_to(self) -> datetime | None:
        """The newest start the export holds: the API need not be asked for older ones."""
        starts = [e.row.start for e in self.entries if e.row and e.row.start]
        return max(starts) if starts and self.is_strava_export else None

    def read(self, entry: Entry, limits: Limits) -> bytes:
        """A member's bytes, stopping at the declared size and at the limits."""
        member = entry.member
        assert member is not None
        cap = min(limits.max_file_bytes, member.file_size)
        parts: list[bytes] = []
        size = 0
        try:
            with self.zip.open(member) as stream:
                while chunk := stream.read(_READ_CHUNK):
                    size += len(chunk)
                    if size > cap:
                        raise UnsafeArchive(entry.name, "larger than its zip entry declares")
                    parts.append(chunk)
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            zlib.error,
            RuntimeError,  # an encrypted member
            NotImplementedError,  # a compression method zipfile does not have
            ValueError,
        ) as error:
            raise CorruptFile(entry.name, "the zip member is corrupt", detail=str(error)) from error
        return b"".join(parts)

    def close(self) -> None:
        self.zip.close()


def _safe_name(name: str) -> str | None:
    """The member's normalised path, or None when it could escape a folder."""
    if "\\" in name or name.startswith("/") or "\x00" in name or (len(name) > 1 and name[1] == ":"):
        return None
    normal = posixpath.normpath(name)
    if normal.startswith("..") or "/../" in f"/{normal}/":
        return None
    return normal


def _check_member(info: zipfile.ZipInfo, limits: Limits) -> FilesError | None:
    if info.file_size > limits.max_file_bytes:
        return TooLarge(info.filename, f"larger than {limits.max_file_bytes // MIB} MB")
    compressed = max(info.compress_size, 1)
    if info.file_size >= limits.ratio_from_bytes and info.file_size / compressed > limits.max_ratio:
        return UnsafeArchive(
            info.filename,
            f"decompresses {info.file_size // compressed} times its size (a decompression bomb?)",
        )
    return None


def open_archive(path: Path, limits: Limits, label: str | None = None) -> Archive:
    """The archive's activities; UnsafeArchive/TooLarge/CorruptFile refuse it whole, named
    ``label`` (the athlete's own name for an upload kept under another)."""
    label = label or path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise CorruptFile(label, "not a readable zip archive", detail=str(error)) from error
    try:
        return _index(archive, label, limits)
    except BaseException:
        archive.close()
        raise


def _index(archive: zipfile.ZipFile, label: str, limits: Limits) -> Archive:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_members:
        raise UnsafeArchive(label, f"more than {limits.max_members} members")
    total = sum(
        info.file_size
        for info in infos
        if activity_suffix(info.filename) or posixpath.basename(info.filename) == CSV_NAME
    )
    if total > limits.max_archive_bytes:
        raise TooLarge(
            label, f"its activities unpack to more than {limits.max_archive_bytes // MIB} MB"
        )
    problems: list[FilesError] = []
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        safe = _safe_name(info.filename)
        if safe is None:
            problems.append(UnsafeArchive(info.filename, "a member name outside the archive"))
            continue
        members[safe] = info
    csv_path = min(
        (name for name in members if posixpath.basename(name) == CSV_NAME),
        key=lambda name: name.count("/"),
        default=None,
    )
    if csv_path is None:
        return Archive(archive, _plain_entries(members, limits), False, problems)
    base = posixpath.dirname(csv_path)
    csv_info = members[csv_path]
    problem = _check_member(csv_info, limits)
    if problem is not None:
        raise problem
    try:
        rows = _read_csv(archive.read(csv_info), csv_path)
    except CorruptFile as error:
        # A CSV of a layout fitcoach does not know (a translated export, a future one)
        # costs its names and summaries, not the files: they are imported without it.
        problems.append(error)
        return Archive(archive, _plain_entries(members, limits), False, problems)
    entries = []
    for row in rows:
        entry = Entry(row.filename or f"activity {row.strava_id}", row=row)
        if row.filename:
            safe = (
                _safe_name(posixpath.join(base, row.filename)) if base else _safe_name(row.filename)
            )
            found = members.get(safe) if safe else None
            if safe is None:
                entry.problem = UnsafeArchive(row.filename, "a file name outside the archive")
            elif found is None:
                entry.problem = CorruptFile(row.filename, f"named in {CSV_NAME} but missing")
            elif activity_suffix(safe) is None:
                entry.problem = None  # photos, or a format fitcoach does not read: CSV only
            else:
                entry.member = found
                entry.problem = _check_member(found, limits)
        entries.append(entry)
    return Archive(archive, entries, True, problems)


def _plain_entries(members: dict[str, zipfile.ZipInfo], limits: Limits) -> list[Entry]:
    """A zip's activity files without a CSV, each checked for size and ratio on its
    declared sizes before a byte of it is inflated."""
    return [
        Entry(name, member=info, problem=_check_member(info, limits))
        for name, info in members.items()
        if activity_suffix(name)
    ]


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    for form in _CSV_DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), form).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _sport_type(display: str) -> str:
    """Strava's display name ("Virtual Ride", "E-Bike Ride") as its sport type."""
    return "".join(part for part in display.replace("-", " ").split()) or "Workout"


def _read_csv(data: bytes, label: str) -> list[CsvActivity]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorruptFile(label, "not UTF-8 text") from error
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None) or []
    older = "id" in header and "filename" in header
    if older:
        header = [_OLDER_COLUMNS.get(name, name) for name in header]
    if "Activity ID" not in header:
        raise CorruptFile(
            label,
            "not a layout of Strava's activities.csv fitcoach knows (no 'Activity ID' "
            "column): the archive's files are imported without it",
        )
    # Some names appear twice (the second "Distance" is in metres, the first in the
    # athlete's unit): the last of each name is the precise one.
    where = {name: index for index, name in enumerate(header)}
    first = {name: header.index(name) for name in header}
    if header.count("Distance") < 2 and not older:
        where.pop("Distance", None)  # only the display-unit column: km or miles, unknown
    rows: list[CsvActivity] = []
    for cells in reader:
        if not cells or not cells[0].strip():
            continue

        def cell(name: str, last: bool = True, cells: list[str] = cells) -> str | None:
            index = (where if last else first).get(name)
            return cells[index] if index is not None and index < len(cells) else None

        try:
            strava_id = int(cells[where["Activity ID"]])
        except ValueError:
            continue
        if not 0 < strava_id < MAX_STRAVA_ID:
            continue  # no Strava id: an edited or damaged row

        def total(name: str, column: str) -> float | None:
            # The export's numbers obey the file's rules (ranges.py): `1e400` or a
            # year-long ride is no total.
            return ranges.total(name, _number(cell(column)))

        rows.append(
            CsvActivity(
                strava_id=strava_id,
                start=_date(cell("Activity Date") or ""),
                name=(cell("Activity Name") or "").replace("\x00", "").strip()[:MAX_NAME],
                sport_type=_sport_type(cell("Activity Type") or ""),
                filename=(cell("Filename") or "").strip(),
                elapsed_s=total("elapsed_s", "Elapsed Time"),
                moving_s=total("moving_s", "Moving Time"),
                distance_m=total("distance_m", "Distance"),
                elevation_gain_m=total("elevation_gain_m", "Elevation Gain"),
                average_heartrate=total("average_heartrate", "Average Heart Rate"),
                max_heartrate=total("max_heartrate", "Max Heart Rate"),
                average_watts=total("average_watts", "Average Watts"),
                weighted_average_watts=total("weighted_average_watts", "Weighted Average Power"),
                commute=(cell("Commute", last=False) or "").strip().lower() == "true",
            )
        )
    return rows
