"""The import's errors: one base class, each kind naming the file it is about.

A problem with one file never stops an import: the service catches ``FilesError``, reports
it by the file's name and goes on with the next file.
"""

from __future__ import annotations

from fitcoach.core.errors import FitcoachError


class FilesError(FitcoachError):
    """A file or archive could not be imported: ``file`` names it as the athlete knows it,
    ``reason`` says why in plain words, ``detail`` is the parser's own account (if any)."""

    status = 400

    def __init__(self, file: str, reason: str, *, detail: str | None = None) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from its fields, not its message: a parsing process hands it back whole.
        return (type(self), (self.file, self.reason), {"detail": self.detail})


class UnsupportedFile(FilesError):
    """Not a FIT, GPX or TCX file (or gzip of one), nor a zip of them."""


class CorruptFile(FilesError):
    """Empty, truncated or malformed content, or no recorded samples."""


class TooLarge(FilesError):
    """Over one of the size limits (upload, single file, archive total)."""

    status = 413


class UnsafeArchive(FilesError):
    """An archive member that would escape its folder, or a decompression bomb."""


class UnknownAthlete(FilesError):
    """Imports belong to an athlete fitcoach already knows (connected once at least)."""

    status = 404


class UploadMissing(FilesError):
    """The upload a job was to import is gone (or its path is not where uploads go)."""


class ImportStopped(FitcoachError):
    """An import stopped by a fault that no file's refusal explains; ``fault`` names it in
    one line (its type and message), for the job's reason."""

    def __init__(self, job_id: int, fault: str) -> None:
        super().__init__(f"import {job_id} stopped: {fault}")
        self.job_id = job_id
        self.fault = fault


class ImportFault(ImportStopped):
    """The import's own code or a parsing process failed (it may fail again on the same
    file): a bug, a process that died."""


class DatabaseUnavailable(ImportStopped):
    """The database was unavailable or failing: nobody's file's fault."""


class ImportCancelled(FitcoachError):
    """The athlete cancelled the import: its worker stops at the next batch."""


def problem_record(file: str, error: Exception) -> dict[str, str]:
    """How a skipped file is kept on its job: by the athlete's name for it, the reason in
    words, and the parser's own account (for the disclosure beside the reason)."""
    record = {"file": file, "kind": type(error).__name__}
    if isinstance(error, FilesError):
        record["reason"] = error.reason
        if error.detail:
            record["detail"] = error.detail
    else:
        record["reason"] = "it could not be read"
        record["detail"] = str(error)
    record["problem"] = f"{file}: {record['reason']}"
    return record
