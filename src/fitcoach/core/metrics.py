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
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

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
    "Requests at the webhook callback, by object and aspect type and outcome (stored, "
    "duplicate, joined, ignored, foreign, rejected, wrong_secret).",
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


def strava_request(endpoint: str, priority: str, status: int | None, seconds: float) -> None:
    """One request that went out to Strava (``status`` None: no answer came back);
    ``priority`` is its budget priority's label, or ``UNCOUNTED``."""
    outcome = strava_outcome(status)
    STRAVA_REQUESTS.labels(endpoint, priority, outcome).inc()
    STRAVA_DURATION.labels(endpoint).observe(seconds)


def budget_refused(
    priority: str, reason: str, at: datetime, retry_at: datetime | None, athlete: bool
) -> None:
    """A request the budget held back; the full window is read off the refusal.

    The binding window resets at ``retry_at``: more than 15 minutes away means the daily
    one. An athlete's quota is named first in the reason (``Slot.describe``: "athlete
    123's ..."), the application's windows as "the ... window".
    """
    window = "daily" if retry_at is not None and retry_at - at > timedelta(minutes=15) else "15min"
    scope = "athlete" if athlete and reason.startswith("athlete ") else "app"
    BUDGET_REFUSALS.labels(priority, scope, window).inc()


def strava_reported(
    limit: str, short_used: int, daily_used: int, short_limit: int, daily_limit: int
) -> None:
    """Remember what Strava's rate-limit headers said of one limit ("overall" or "read")."""
    STRAVA_REPORTED_USED.labels(limit, "15min").set(short_used)
    STRAVA_REPORTED_USED.labels(limit, "daily").set(daily_used)
    STRAVA_REPORTED_LIMIT.labels(limit, "15min").set(short_limit)
    STRAVA_REPORTED_LIMIT.labels(limit, "daily").set(daily_limit)


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
