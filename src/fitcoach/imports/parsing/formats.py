"""Which format a file is, and reading it (gzip too) within the size limits.

The extension says what the athlete meant; the content must agree, so a ``.fit`` that is
really a photo is reported as not a FIT file rather than half-read.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import replace
from datetime import datetime

from fitcoach.core.clock import utc_now
from fitcoach.imports.errors import (
    CorruptFile,
    FilesError,
    TooLarge,
    UnsafeArchive,
    UnsupportedFile,
)
from fitcoach.imports.parsing.fit import read_fit
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.parsing.recording import Recording
from fitcoach.imports.parsing.summary import FileActivity, summarise
from fitcoach.imports.parsing.xml import looks_like_xml, read_gpx, read_tcx

ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx")
SUPPORTED_SUFFIXES = (*ACTIVITY_SUFFIXES, *(s + ".gz" for s in ACTIVITY_SUFFIXES), ".zip")
_CHUNK = 1024 * 1024


def activity_suffix(name: str) -> str | None:
    """``.fit``/``.gpx``/``.tcx`` for an activity file name (gzipped or not), else None."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return next((suffix for suffix in ACTIVITY_SUFFIXES if lower.endswith(suffix)), None)


def is_supported_name(name: str) -> bool:
    return activity_suffix(name) is not None or name.lower().endswith(".zip")


def gunzip(data: bytes, filename: str, limits: Limits) -> bytes:
    """The decompressed content, refusing to grow past the file limit or the ratio."""
    if not data:
        raise CorruptFile(filename, "the file is empty")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    # A bomb is judged by its ratio; below ratio_from_bytes a ratio means nothing.
    ratio_cap = max(len(data) * limits.max_ratio, limits.ratio_from_bytes)
    cap = min(limits.max_file_bytes, ratio_cap)
    parts: list[bytes] = []
    size = 0
    try:
        for offset in range(0, len(data), _CHUNK):
            block = inflater.decompress(data[offset : offset + _CHUNK], cap - size + 1)
            while True:
                size += len(block)
                if size > cap:
                    raise _too_big(filename, cap, limits)
                parts.append(block)
                if not inflater.unconsumed_tail:
                    break
                block = inflater.decompress(inflater.unconsumed_tail, cap - size + 1)
        parts.append(inflater.flush())
    except zlib.error as error:
        raise CorruptFile(filename, "the gzip data is corrupt", detail=str(error)) from error
    if not inflater.eof:
        raise CorruptFile(filename, "the gzip data is truncated")
    return b"".join(parts)


def _too_big(filename: str, cap: int, limits: Limits) -> FilesError:
    if cap < limits.max_file_bytes:
        # The ratio stopped it before the plain size limit did.
        return UnsafeArchive(
            filename,
            f"decompresses more than {limits.max_ratio} times its size (a decompression bomb?)",
        )
    return TooLarge(filename, f"larger than {limits.max_file_bytes // (1024 * 1024)} MB")


def read_activity(
    filename: str, data: bytes, limits: Limits, *, now: datetime | None = None
) -> list[FileActivity]:
    """The activities in one FIT, GPX or TCX file (gzipped or not): one, or one per sport
    of a multisport file."""
    if activity_suffix(filename) is None:
        raise _unsupported(filename)
    if filename.lower().endswith(".gz"):
        data = gunzip(data, filename, limits)
    return parse_activity(filename, data, hashlib.sha256(data).hexdigest(), limits, now=now)


def _unsupported(filename: str) -> UnsupportedFile:
    return UnsupportedFile(filename, "not a supported file type (FIT, GPX or TCX, gzipped or not)")


def parse_activity(
    filename: str, content: bytes, sha256: str, limits: Limits, *, now: datetime | None = None
) -> list[FileActivity]:
    """The activities in ``content`` (already decompressed), by the name's format.

    A file with several sport sessions (a triathlon: swim, transition, bike, transition,
    run) gives one activity per session, in order, each with ``multisport_group`` set to
    the file's hash so the legs can be shown as one event. A file any of whose sessions
    is unusable is refused whole: half an event is not stored.
    """
    suffix = activity_suffix(filename)
    if suffix is None:
        raise _unsupported(filename)
    if not content:
        raise CorruptFile(filename, "the file is empty")
    if len(content) > limits.max_file_bytes:
        raise TooLarge(filename, f"larger than {limits.max_file_bytes // (1024 * 1024)} MB")
    recordings: list[Recording]
    if suffix == ".fit":
        recordings = read_fit(content, filename)
    elif not looks_like_xml(content):
        raise CorruptFile(filename, f"not a {suffix[1:].upper()} file (no XML content)")
    elif suffix == ".gpx":
        recordings = read_gpx(content, filename)
    else:
        recordings = read_tcx(content, filename)
    moment = now or utc_now()
    activities = [
        summarise(recording, sha256=sha256, filename=filename, now=moment)
        for recording in recordings
    ]
    if len(activities) == 1:
        return activities
    return [
        replace(activity, multisport_group=sha256, leg=leg)
        for leg, activity in enumerate(activities)
    ]
