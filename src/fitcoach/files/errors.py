"""The import's errors: one base class, each kind naming the file it is about.

A problem with one file never stops an import: the service catches ``FilesError``, reports
it by the file's name and goes on with the next file.
"""

from __future__ import annotations

from fitcoach.errors import FitcoachError


class FilesError(FitcoachError):
    """A file or archive could not be imported; the message names it and says why."""


class UnsupportedFile(FilesError):
    """Not a FIT, GPX or TCX file (or gzip of one), nor a zip of them."""


class CorruptFile(FilesError):
    """Empty, truncated or malformed content, or no recorded samples."""


class TooLarge(FilesError):
    """Over one of the size limits (upload, single file, archive total)."""


class UnsafeArchive(FilesError):
    """An archive member that would escape its folder, or a decompression bomb."""


class UnknownAthlete(FilesError):
    """Imports belong to an athlete fitcoach already knows (connected once at least)."""
