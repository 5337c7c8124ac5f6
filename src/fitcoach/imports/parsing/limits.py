"""The size limits every import obeys, from the settings (see docs/files.md)."""

from __future__ import annotations

from dataclasses import dataclass

from fitcoach.core.settings import Settings

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bytes and ratios; a member or file over any of them is reported and skipped."""

    max_upload_bytes: int = 1024 * MIB
    max_file_bytes: int = 200 * MIB
    max_archive_bytes: int = 8192 * MIB
    max_ratio: int = 200
    max_members: int = 100_000
    # Ratios of tiny members mean nothing (a kilobyte of zeros compresses 1000:1).
    ratio_from_bytes: int = 1 * MIB


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_upload_bytes=settings.max_upload_mb * MIB,
        max_file_bytes=settings.import_max_file_mb * MIB,
        max_archive_bytes=settings.import_max_archive_mb * MIB,
        max_ratio=settings.import_max_ratio,
    )
