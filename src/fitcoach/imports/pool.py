"""Parsing an import's files on every core: a process pool, with few files in flight.

Parsing (decoding FIT records, XML, the summary rules) is pure CPU work in Python, so one
process reads one core. An import hands each file's content to ``Parser.submit`` and gets
a future; with ``IMPORT_PROCESSES`` above 1 the futures run in a
``ProcessPoolExecutor`` while the import's own process reads the next files and stores
the parsed ones. At most ``in_flight`` files wait or are being parsed at once, so memory
holds a bounded number of files whatever the archive's size.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from fitcoach.imports.parsing.formats import parse_activity
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.parsing.summary import FileActivity

# Files queued per process beyond the one it parses: enough to keep it busy while the
# importing process stores a batch, few enough to bound memory.
QUEUED_PER_PROCESS = 4


def processes_for(setting: int) -> int:
    """IMPORT_PROCESSES, 0 meaning min(2, the cores this process may use)."""
    if setting > 0:
        return setting
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(2, cores)


class Parser:
    """Parses file contents into activities: in this process (one process), or in a
    pool of processes. A context manager: the pool's processes end with it."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self.pool: ProcessPoolExecutor | None = None
        # Results one process keeps waiting for at most (the bound on memory).
        self.in_flight = 1 if processes <= 1 else processes * (1 + QUEUED_PER_PROCESS)

    def __enter__(self) -> Parser:
        if self.processes > 1:
            # Not fork: the worker runs threads, and a fork copies any lock one of them
            # holds. The fork server (started once per process, then reused) imports the
            # parser once; each pool process is a fork of it, ready at once.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([parse_activity.__module__])
            self.pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=context)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def submit(
        self, name: str, content: bytes, sha256: str, limits: Limits
    ) -> Future[list[FileActivity]]:
        """The file's activities, to come; a FilesError comes out of ``result()``."""
        if self.pool is not None:
            return self.pool.submit(parse_activity, name, content, sha256, limits)
        done: Future[list[FileActivity]] = Future()
        try:
            done.set_result(parse_activity(name, content, sha256, limits))
        except Exception as error:  # handed over as the pool would: raised by result()
            done.set_exception(error)
        return done
