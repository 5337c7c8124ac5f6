"""What fitcoach's processes count as they work: Strava requests, syncs, webhook events.

Every metric here has labels, so no value exists before its first ``.labels()`` call;
`fitcoach.monitoring.process` decides, at process start, whether values live in memory or
in the multiprocess directory that a scrape sums over all processes. Figures that are
facts about the installation (budget use, athletes, queue) are not counted here but read
from the database at scrape time (`fitcoach.monitoring.collector`).

Label values come from small fixed sets (endpoint names, priorities, outcomes, exception
class names), never from athlete or activity ids.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from fitcoach.strava.budget.policy import Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited

if TYPE_CHECKING:
    from fitcoach.strava.budget.headers import RateReport

P = ParamSpec("P")
R = TypeVar("R")

STRAVA_REQUESTS = Counter(
    "fitcoach_strava_requests",
    "Requests sent to Strava, by endpoint, priority and outcome (ok, rate_limited, "
    "unauthorized, not_found, client_error, server_error, transport_error).",
    ["endpoint", "priority", "outcome"],
)
STRAVA_DURATION = Histogram(
    "fitcoach_strava_request_duration_seconds",
    "Time from sending a Strava request to its answer (or failure).",
    ["endpoint"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
BUDGET_REFUSALS = Counter(
    "fitcoach_budget_refusals",
    "Strava requests the budget held back, by priority and the scope (app, athlete) and "
    "window (15min, daily) that was full.",
    ["priority", "scope", "window"],
)
# Strava's own count, from the last response's headers (whichever process got it last).
STRAVA_REPORTED_USED = Gauge(
    "fitcoach_strava_reported_used_requests",
    "Requests used as Strava's X-RateLimit-Usage / X-ReadRateLimit-Usage headers last said.",
    ["limit", "window"],
    multiprocess_mode="mostrecent",
)
STRAVA_REPORTED_LIMIT = Gauge(
    "fitcoach_strava_reported_limit_requests",
    "Request limits as Strava's X-RateLimit-Limit / X-ReadRateLimit-Limit headers last said.",
    ["limit", "window"],
    multiprocess_mode="mostrecent",
)
SYNC_RUNS = Counter(
    "fitcoach_sync_runs",
    "Sync runs by kind (backfill, incremental, daily, manual, webhook) and outcome "
    "(ok, deferred, disconnected, failed).",
    ["kind", "outcome"],
)
SYNC_DURATION = Histogram(
    "fitcoach_sync_duration_seconds",
    "Duration of sync runs, whatever their outcome.",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
WEBHOOK_RECEIVED = Counter(
    "fitcoach_webhook_events_received",
    "Push events Strava sent, by object and aspect type and outcome (stored, duplicate, rejected).",
    ["object_type", "aspect_type", "outcome"],
)
WEBHOOK_PROCESSED = Counter(
    "fitcoach_webhook_events_processed",
    "Push events a worker handled.",
    ["object_type", "aspect_type"],
)
WEBHOOK_FAILED = Counter(
    "fitcoach_webhook_events_failed",
    "Attempts to handle a push event that raised (the queue retries them).",
    ["error"],
)
WEBHOOK_LAG = Histogram(
    "fitcoach_webhook_lag_seconds",
    "From Strava's event_time to the event being handled.",
    ["object_type"],
    buckets=(1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 21600.0),
)

# Every metric of this module, for `process.configure_process` to reset.
ALL: tuple[MetricWrapperBase, ...] = (
    STRAVA_REQUESTS,
    STRAVA_DURATION,
    BUDGET_REFUSALS,
    STRAVA_REPORTED_USED,
    STRAVA_REPORTED_LIMIT,
    SYNC_RUNS,
    SYNC_DURATION,
    WEBHOOK_RECEIVED,
    WEBHOOK_PROCESSED,
    WEBHOOK_FAILED,
    WEBHOOK_LAG,
)

UNCOUNTED = "uncounted"  # OAuth and push-subscription calls: outside Strava's rate limits
SYNC_KINDS = ("backfill", "incremental", "daily", "manual", "webhook")
SYNC_OUTCOMES = ("ok", "deferred", "disconnected", "failed")


def initialize() -> None:
    """Create the series alert rules compare over time, at zero.

    A counter series that first appears already at 1 has no increase in Prometheus'
    eyes, so the first sync failure or webhook would go unnoticed by ``increase()``.
    """
    for kind in SYNC_KINDS:
        SYNC_DURATION.labels(kind)
        for outcome in SYNC_OUTCOMES:
            SYNC_RUNS.labels(kind, outcome)
    for object_type in ("activity", "athlete"):
        WEBHOOK_LAG.labels(object_type)


def priority_label(priority: int, counted: bool = True) -> str:
    if not counted:
        return UNCOUNTED
    try:
        return Priority(priority).name.lower()
    except ValueError:
        return "unknown"


# Strava requests --------------------------------------------------------------------


def strava_outcome(status: int | None) -> str:
    if status is None:
        return "transport_error"
    if status == 429:
        return "rate_limited"
    if status == 401:
        return "unauthorized"
    if status == 404:
        return "not_found"
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "client_error"
    return "ok"


def strava_request(
    endpoint: str, priority: int, counted: bool, status: int | None, seconds: float
) -> None:
    """One request that went out to Strava (``status`` None: no answer came back)."""
    outcome = strava_outcome(status)
    STRAVA_REQUESTS.labels(endpoint, priority_label(priority, counted), outcome).inc()
    STRAVA_DURATION.labels(endpoint).observe(seconds)


def budget_refused(
    priority: int, reason: str, at: datetime, retry_at: datetime | None, athlete: bool
) -> None:
    """A request the budget held back; the full window is read off the refusal.

    The binding window resets at ``retry_at``: more than 15 minutes away means the daily
    one. An athlete's quota is named first in the reason (``Slot.describe``: "athlete
    123's ..."), the application's windows as "the ... window".
    """
    window = "daily" if retry_at is not None and retry_at - at > timedelta(minutes=15) else "15min"
    scope = "athlete" if athlete and reason.startswith("athlete ") else "app"
    BUDGET_REFUSALS.labels(priority_label(priority), scope, window).inc()


def strava_reported(report: RateReport) -> None:
    """Remember what Strava's rate-limit headers said, as they said it."""
    for limit, part in (("overall", report.overall), ("read", report.read)):
        if part is None:
            continue
        STRAVA_REPORTED_USED.labels(limit, "15min").set(part.short_usage)
        STRAVA_REPORTED_USED.labels(limit, "daily").set(part.daily_usage)
        STRAVA_REPORTED_LIMIT.labels(limit, "15min").set(part.short_limit)
        STRAVA_REPORTED_LIMIT.labels(limit, "daily").set(part.daily_limit)


# Sync runs ----------------------------------------------------------------------------

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
    # Imported here: fitcoach.strava.access imports the store, whose engine imports us.
    from fitcoach.strava.access import AthleteDisconnected

    if isinstance(error, BudgetExhausted | RateLimited):
        return "deferred"
    if isinstance(error, AthleteDisconnected):
        return "disconnected"
    return "failed"


# Webhook events -----------------------------------------------------------------------


def webhook_received(object_type: str, aspect_type: str, outcome: str) -> None:
    WEBHOOK_RECEIVED.labels(object_type, aspect_type, outcome).inc()


def webhook_processed(
    object_type: str, aspect_type: str, event_time: datetime, processed_at: datetime
) -> None:
    WEBHOOK_PROCESSED.labels(object_type, aspect_type).inc()
    # Strava's clock and ours differ by a little: an event "from the future" lagged 0 s.
    lag = max(0.0, (processed_at - event_time).total_seconds())
    WEBHOOK_LAG.labels(object_type).observe(lag)


def webhook_failures(function: Callable[P, R]) -> Callable[P, R]:
    """Count the calls of an event handler that raise, by exception class; errors propagate."""

    @functools.wraps(function)
    def handle(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            WEBHOOK_FAILED.labels(type(error).__name__).inc()
            raise

    return handle


initialize()
