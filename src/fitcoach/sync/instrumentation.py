"""Sync runs counted and timed by kind and outcome (``fitcoach_sync_runs``)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from fitcoach.core.metrics import SYNC_DURATION, SYNC_RUNS
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited

P = ParamSpec("P")
R = TypeVar("R")

_sync_kind: ContextVar[str | None] = ContextVar("fitcoach_sync_kind", default=None)

# Who runs an incremental sync is told by its priority, except a manual refresh, which
# shares the interactive priority with a page view's refresh: its task says so itself.
_KIND_BY_PRIORITY = {
    Priority.BACKFILL: "backfill",
    Priority.SCHEDULED: "daily",
    Priority.WEBHOOK: "webhook",
    Priority.INTERACTIVE: "incremental",
}


@contextmanager
def sync_kind(kind: str) -> Iterator[None]:
    """Label the sync runs inside the block as `kind` (e.g. "manual")."""
    token = _sync_kind.set(kind)
    try:
        yield
    finally:
        _sync_kind.reset(token)


def sync_run(kind: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Count and time each call of a sync function by kind and outcome; errors propagate.

    Without a fixed `kind`, it is the surrounding `sync_kind`, else read off the call's
    ``priority`` argument (keyword or third positional, as in ``(context, athlete_id,
    priority)``).
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            label = kind or _sync_kind.get() or _kind_of(args, kwargs)
            started = time.perf_counter()
            outcome = "ok"
            try:
                return function(*args, **kwargs)
            except BaseException as error:
                outcome = sync_outcome(error)
                raise
            finally:
                SYNC_RUNS.labels(label, outcome).inc()
                SYNC_DURATION.labels(label).observe(time.perf_counter() - started)

        return run

    return decorate


def _kind_of(args: tuple[object, ...], kwargs: dict[str, object]) -> str:
    priority = kwargs.get("priority", args[2] if len(args) > 2 else None)
    if isinstance(priority, int):
        try:
            return _KIND_BY_PRIORITY[Priority(priority)]
        except ValueError:
            pass
    return "incremental"


def sync_outcome(error: BaseException) -> str:
    if isinstance(error, BudgetExhausted | RateLimited):
        return "deferred"
    if isinstance(error, AthleteDisconnected):
        return "disconnected"
    return "failed"
