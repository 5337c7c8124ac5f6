"""The import page: upload FIT/GPX/TCX files or the Strava bulk-export archive, and watch
the import's progress.

The upload is streamed straight into DATA_DIR/imports (never into the system's temporary
folder) and cut off as soon as it passes MAX_UPLOAD_MB; the CSRF field comes first in the
form and is checked before a single byte of the file is written.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from python_multipart.multipart import MultipartParser, parse_options_header

from fitcoach.core.settings import Settings
from fitcoach.imports.errors import FilesError, TooLarge
from fitcoach.imports.inbox import inbox_view
from fitcoach.imports.jobs import cancel_import, owned_job_view, queue_upload, recent_job_views
from fitcoach.imports.parsing.limits import MIB, limits_from
from fitcoach.imports.uploads import UploadSink
from fitcoach.web.deps import (
    AppSettings,
    CurrentAthlete,
    Now,
    OptionalAthlete,
    Queue,
    Sessions,
)
from fitcoach.web.page_common import login_required
from fitcoach.web.security import CsrfRefused, check_csrf
from fitcoach.web.templating import message_page, page

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter()
log = logging.getLogger("fitcoach.imports.endpoints")

RECENT_JOBS = 10
# Headers and the small form fields around the file, on top of the file itself.
ENVELOPE_BYTES = 64 * 1024
MAX_FIELD_BYTES = 1024
# Files one upload may carry; more belong in a zip (one job instead of many).
MAX_FILES_PER_UPLOAD = 20


@router.get("/import", response_class=HTMLResponse)
def import_page(
    request: Request, athlete_id: OptionalAthlete, sessions: Sessions, settings: AppSettings
) -> HTMLResponse:
    if athlete_id is None:
        return login_required(request)
    return page(
        request,
        "import.html",
        jobs=recent_job_views(sessions, athlete_id, RECENT_JOBS),
        inbox=inbox_view(settings.inbox_dir, athlete_id, RECENT_JOBS),
        max_upload_mb=settings.max_upload_mb,
        nav="import",
    )


class _Form:
    """Receives the multipart stream: the CSRF field first, then each file into a sink of
    its own; together they may not pass the upload limit."""

    def __init__(self, request: Request, settings: Settings) -> None:
        self.request = request
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.value = bytearray()
        self.part: str | None = None
        self.filename: str | None = None
        self.csrf_ok = False
        self.sink: UploadSink | None = None
        # The files received, with where each is kept: (the athlete's name, sink, path).
        self.files: list[tuple[str, UploadSink, str]] = []
        self.data_dir, self.limits = settings.data_dir, limits_from(settings)

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._header(data[start:end], True),
            "on_header_value": lambda data, start, end: self._header(data[start:end], False),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": lambda data, start, end: self._data(data[start:end]),
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self.headers, self.field, self.value = {}, b"", bytearray()
        self.part = self.filename = None
        self._name, self._value = b"", b""

    def _header(self, chunk: bytes, is_name: bool) -> None:
        if is_name:
            self._name += chunk
        else:
            self._value += chunk

    def _header_end(self) -> None:
        self.headers[self._name.lower()] = self._value
        self._name, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.part = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is not None:
            if not self.csrf_ok:
                raise CsrfRefused("The form's security token is missing or stale.")
            # Only the last path part: browsers on some systems send a full path.
            name = filename.decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1]
            self.filename = name
            if name:
                if len(self.files) >= MAX_FILES_PER_UPLOAD:
                    raise TooLarge(
                        name,
                        f"more than {MAX_FILES_PER_UPLOAD} files in one upload; put them in a "
                        "zip and send that instead",
                    )
                self.sink = UploadSink(self.data_dir, name, self.limits)

    def _data(self, chunk: bytes) -> None:
        if self.filename is not None:
            if self.sink is not None:
                self.sink.write(chunk)
                if self.received() > self.limits.max_upload_bytes:
                    raise TooLarge(
                        self.filename,
                        f"the files together are larger than "
                        f"{self.limits.max_upload_bytes // MIB} MB",
                    )
            return
        self.value += chunk
        if len(self.value) > MAX_FIELD_BYTES:
            raise HTTPException(400, "A form field is too long.")

    def _end(self) -> None:
        if self.part == "csrf" and self.filename is None:
            check_csrf(self.request, self.value.decode("utf-8", "replace"))
            self.csrf_ok = True
        elif self.filename is not None and self.sink is not None:
            self.files.append((self.filename, self.sink, self.sink.finish()))
            self.sink = None

    def received(self) -> int:
        """Bytes of every file so far."""
        return sum(sink.size for _, sink, _ in self.files) + (self.sink.size if self.sink else 0)

    def abort(self) -> None:
        """Remove whatever was received: a refused upload leaves nothing behind."""
        for _, sink, _ in self.files:
            sink.abort()
        if self.sink is not None:
            self.sink.abort()


def _refused(request: Request, status: int, message: str) -> HTMLResponse:
    return message_page(
        request,
        "The file was not imported",
        message,
        "Choose a FIT, GPX or TCX file (gzipped or not), or the zip Strava sends when you "
        "download your account's data, and try again.",
        status_code=status,
        action=("/import", "Back to the import page"),
    )


@router.post("/import", response_model=None)
async def upload(
    request: Request,
    background: BackgroundTasks,
    athlete_id: OptionalAthlete,
    sessions: Sessions,
    settings: AppSettings,
    queue: Queue,
) -> Response:
    if athlete_id is None:
        return login_required(request)
    limits = limits_from(settings)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_upload_bytes + ENVELOPE_BYTES:
        return _refused(request, 413, f"The upload is larger than {settings.max_upload_mb} MB.")
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return _refused(request, 400, "The upload was not sent as a file form.")
    form = _Form(request, settings)
    parser = MultipartParser(boundary, form.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FilesError as error:
        form.abort()
        return _refused(request, 413 if isinstance(error, TooLarge) else 400, str(error))
    except (HTTPException, CsrfRefused):
        form.abort()
        raise
    except Exception as error:  # a malformed multipart body
        form.abort()
        log.info("upload refused", extra={"error": str(error)})
        return _refused(request, 400, "The upload was malformed or cut off; try again.")
    if not form.csrf_ok:
        form.abort()
        raise CsrfRefused("The form's security token is missing or stale.")
    empty = [name for name, sink, _ in form.files if sink.size == 0]
    if not form.files or len(empty) == len(form.files):
        form.abort()
        name = empty[0] if empty else "The file"
        return _refused(request, 400, f"{name}: the file is empty or none was chosen.")
    jobs = []
    for name, sink, stored in form.files:
        if sink.size == 0:
            sink.abort()  # one empty file among others: the rest are imported
            continue
        jobs.append(queue_upload(sessions, athlete_id, name, stored))
    for job_id in jobs:
        # After the reply: the huey queue only enqueues, the in-process queue imports here.
        background.add_task(queue.import_upload, job_id)
    return RedirectResponse(f"/import?job={jobs[0]}", status_code=303)


@router.get("/api/imports/{job_id}")
def import_status(athlete_id: CurrentAthlete, sessions: Sessions, job_id: int) -> JSONResponse:
    """The import's progress, for scripts and the page's polling."""
    return JSONResponse(owned_job_view(sessions, athlete_id, job_id))


@router.get("/partials/import/{job_id}", response_class=HTMLResponse)
def import_part(
    request: Request, athlete_id: CurrentAthlete, sessions: Sessions, job_id: int
) -> HTMLResponse:
    job = owned_job_view(sessions, athlete_id, job_id)
    return page(request, "partials/import_job.html", job=job)


@router.post("/imports/{job_id}/cancel")
def cancel(
    request: Request,
    athlete_id: CurrentAthlete,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
    job_id: int,
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """The import page's Cancel: a waiting import never starts, a running one stops at its
    next batch (what it stored before stays); a finished one is left as it is."""
    check_csrf(request, csrf)
    cancel_import(sessions, settings.data_dir, athlete_id, job_id, now)
    return RedirectResponse(f"/import?job={job_id}", status_code=303)
