"""Making counts add up across processes: prometheus-client's multiprocess mode.

Every web and worker process of a machine writes its values to its own memory-mapped
files in one directory (PROMETHEUS_MULTIPROC_DIR); a scrape of any web process sums them.
Files of processes that have exited stay, so counters never go backwards while the
installation runs; the directory is emptied when a process starts and finds no live
process of a previous start, i.e. when the whole installation restarted.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, values
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from fitcoach.core.errors import ConfigError
from fitcoach.core.settings import Settings

log = logging.getLogger("fitcoach.monitoring")

ENV = "PROMETHEUS_MULTIPROC_DIR"
_MARKER = ".pid"  # "<pid>.pid": a process that writes to the directory
_lock = threading.Lock()
_directory: Path | None = None


def metrics_directory(settings: Settings) -> Path | None:
    """Where this machine's processes keep their metrics; None: this process alone."""
    if settings.prometheus_multiproc_dir is not None:
        return settings.prometheus_multiproc_dir
    if settings.embedded:
        return settings.data_dir / "metrics"
    return None


def multiprocess_directory() -> Path | None:
    """The directory this process writes to, once `configure_process` chose one."""
    return _directory


def configure_process(settings: Settings) -> Path | None:
    """Make this process's metrics count towards the machine's sum; call once at start.

    Idempotent: the first call decides. When PROMETHEUS_MULTIPROC_DIR was already in
    the environment at import, prometheus-client writes to the files from the start;
    otherwise values counted before this call (a few start-up queries) are dropped, so
    that no metric is split between memory and the files.
    """
    global _directory
    directory = metrics_directory(settings)
    with _lock:
        if _directory is not None or directory is None:
            if directory is None and not settings.embedded:
                log.warning(
                    "PROMETHEUS_MULTIPROC_DIR is not set: /metrics shows only the process "
                    "that answers the scrape"
                )
            return _directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            claim_directory(directory)
        except OSError as error:
            raise ConfigError(
                f"PROMETHEUS_MULTIPROC_DIR: cannot use {directory}: {error}"
            ) from error
        if not getattr(values.ValueClass, "_multiprocess", False):
            for metric in _all_metrics():
                metric.clear()  # in-memory children: made again in the files below
            os.environ[ENV] = str(directory)
            values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
            _initialize()
        _directory = directory
    return directory


def claim_directory(directory: Path) -> None:
    """Register this process in `directory`, emptying it first if its writers are gone.

    A writer is known by its marker or by a value file (``counter_<pid>.db``; a process
    started with the variable set writes before it claims). Under an exclusive lock, so
    that processes starting together agree: the first one empties, the others see it
    alive and keep its files. This process's own files are never removed.
    """
    with open(directory / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        me = os.getpid()
        files = [*directory.glob("*.db"), *directory.glob(f"*{_MARKER}")]
        others = {pid for path in files if (pid := _pid(path)) is not None and pid != me}
        if not any(_alive(pid) for pid in others):
            for path in files:
                if _pid(path) != me:
                    path.unlink(missing_ok=True)
        (directory / f"{me}{_MARKER}").touch()


def _pid(path: Path) -> int | None:
    """The writer of a marker ``<pid>.pid`` or a value file ``<type>[_<mode>]_<pid>.db``."""
    stem = path.name.removesuffix(_MARKER).removesuffix(".db").rsplit("_", 1)[-1]
    return int(stem) if stem.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to judge
    return True


def _all_metrics() -> tuple[MetricWrapperBase, ...]:
    from fitcoach.core import metrics, query_metrics

    return (*metrics.ALL, *query_metrics.ALL)


def _initialize() -> None:
    from fitcoach.core import metrics, query_metrics

    metrics.initialize()
    query_metrics.initialize()


class _Forward(Collector):
    """The default registry's metrics, as one collector of a scrape's registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry for one scrape: every process's counts, then `collectors`' figures."""
    registry = CollectorRegistry(auto_describe=False)
    if _directory is not None:
        MultiProcessCollector(registry, path=str(_directory))  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward())
    for collector in collectors:
        registry.register(collector)
    return registry
