"""Uploads waiting for a worker: kept under DATA_DIR/imports, named by fitcoach, never by
the browser, and deleted once imported.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.clock import utc_now
from fitcoach.imports.errors import FilesError, TooLarge, UnsupportedFile, UploadMissing
from fitcoach.imports.parsing.formats import SUPPORTED_SUFFIXES
from fitcoach.imports.parsing.limits import MIB, Limits
from fitcoach.imports.repository import FINISHED, claim_job, fail_job, get_job
from fitcoach.imports.service import run_job

IMPORTS = "imports"


def imports_dir(data_dir: Path) -> Path:
    folder = data_dir / IMPORTS
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def safe_suffix(filename: str) -> str:
    """The upload's supported suffix (``.fit.gz``, ``.zip``…); UnsupportedFile otherwise."""
    lower = filename.lower()
    suffix = next(
        (s for s in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True) if lower.endswith(s)), None
    )
    if suffix is None:
        raise UnsupportedFile(
            filename, "not a FIT, GPX or TCX file (gzipped or not) nor a zip archive"
        )
    return suffix


class UploadSink:
    """A file in DATA_DIR/imports receiving an upload, refusing more than the limit."""

    def __init__(self, data_dir: Path, filename: str, limits: Limits) -> None:
        self.data_dir = data_dir.resolve()
        self.filename = filename
        self.limit = limits.max_upload_bytes
        self.path = imports_dir(self.data_dir) / f"{uuid.uuid4().hex}{safe_suffix(filename)}"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.handle: BinaryIO = os.fdopen(descriptor, "wb")
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise TooLarge(self.filename, f"larger than {self.limit // MIB} MB")
        self.handle.write(chunk)

    def finish(self) -> str:
        """Close the file; its path relative to DATA_DIR, for the job row."""
        self.handle.close()
        return self.path.relative_to(self.data_dir).as_posix()

    def abort(self) -> None:
        if not self.handle.closed:
            self.handle.close()
        self.path.unlink(missing_ok=True)


def upload_path(sessions: sessionmaker[Session], data_dir: Path, job_id: int) -> Path:
    """Where the job's upload waits; FilesError when it is gone or points outside."""
    with sessions() as session:
        job = get_job(session, job_id)
        stored = job.stored_path if job else None
    if not stored:
        raise UploadMissing(f"import {job_id}", "the uploaded file is no longer there")
    folder = imports_dir(data_dir.resolve())
    path = (data_dir.resolve() / stored).resolve()
    if path.parent != folder:
        raise UploadMissing(f"import {job_id}", f"the upload's path is outside {IMPORTS}/")
    if not path.is_file():
        # Deleted (by hand, or lost with the disk): nothing to try again with.
        raise UploadMissing(
            job.filename if job and job.filename else f"import {job_id}",
            "the uploaded file is no longer there; upload it again",
        )
    return path


def discard_upload(data_dir: Path, stored: str) -> None:
    """Delete an upload its job no longer needs (only ever inside DATA_DIR/imports)."""
    folder = imports_dir(data_dir.resolve())
    path = (data_dir.resolve() / stored).resolve()
    if path.parent == folder:
        path.unlink(missing_ok=True)


def run_upload(
    sessions: sessionmaker[Session],
    data_dir: Path,
    job_id: int,
    limits: Limits,
    processes: int = 1,
) -> None:
    """Claim, import and delete one uploaded file (the worker's and the web's runner).

    The upload is deleted once its job has ended (done, failed or cancelled); a job to be
    tried again keeps it, and so does one whose worker died (the sweep ends it)."""
    if not claim_job(sessions, job_id, utc_now()):
        return
    try:
        path = upload_path(sessions, data_dir, job_id)
    except FilesError as error:
        fail_job(sessions, job_id, error)
        return
    job = run_job(sessions, job_id, path, limits, processes=processes)
    if job.status in FINISHED:
        path.unlink(missing_ok=True)


def athlete_with_new_activities(sessions: sessionmaker[Session], job_id: int) -> int | None:
    """The athlete a finished import job added activities to; None when it added none (a
    refused file, duplicates only), so nothing downstream runs for nothing."""
    with sessions() as session:
        job = get_job(session, job_id)
        return job.athlete_id if job is not None and job.imported else None
