"""Figures computed when Prometheus scrapes: budget use, athletes, webhook backlog, queue.

These are facts about the installation, not about one process, so they are read from
the shared database, budget and queue at scrape time instead of being counted. Several
web processes answer the same figures; alert rules aggregate them with ``max``.

Per-athlete use is bounded: the top athletes by requests (TOP_ATHLETES series per
window) and a histogram of how many athletes made how many requests, never one series
per athlete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from prometheus_client.metrics_core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.queue import TaskQueue
from fitcoach.monitoring.athletes import top
from fitcoach.monitoring.queries import (
    athlete_counts,
    budget_status,
    failing_count,
    queue_status,
    webhook_status,
)
from fitcoach.strava.budget import Budget, BudgetError

log = logging.getLogger("fitcoach.monitoring")

TOP_ATHLETES = 10
# Requests per athlete: the default quotas are 50 per 15 minutes and 500 per day.
ATHLETE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
WINDOWS = ("15min", "daily")


class InstallationCollector(Collector):
    """Yields the installation's figures; a part that cannot be read reports itself down."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        budget: Budget | None,
        queue: TaskQueue,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._budget = budget
        self._queue = queue
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        yield from self._database(now)
        if self._budget is not None:
            yield from self._budget_figures(self._budget)
        yield from self._queue_figures()

    def _database(self, now: datetime) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "fitcoach_database_up", "1 when the scrape could read the database, else 0."
        )
        try:
            with self._sessions() as session:
                athletes = athlete_counts(session, now)
                failing = failing_count(session)
                webhooks = webhook_status(session, now)
        except SQLAlchemyError as error:
            log.warning("metrics: database unreadable", extra={"error": str(error)[:200]})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge(
            "fitcoach_athletes_connected", "Athletes connected to Strava.", athletes.connected
        )
        yield _gauge(
            "fitcoach_athletes_new_this_week",
            "Athletes who connected in the last 7 days.",
            athletes.new_this_week,
        )
        yield _gauge(
            "fitcoach_sync_failing_athletes",
            "Athletes whose latest sync attempts failed.",
            failing,
        )
        yield _gauge(
            "fitcoach_webhook_events_unprocessed",
            "Push events stored but not yet handled by a worker.",
            webhooks.unprocessed,
        )
        yield _gauge(
            "fitcoach_queue_oldest_task_age_seconds",
            "Age of the oldest unhandled push event (0 when none): how far the queue lags.",
            webhooks.oldest_age_s(now),
        )

    def _budget_figures(self, budget: Budget) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "fitcoach_budget_up", "1 when the scrape could read the budget's counters, else 0."
        )
        try:
            status = budget_status(budget)
        except (BudgetError, SQLAlchemyError, OSError) as error:
            log.warning("metrics: budget unreadable", extra={"error": str(error)[:200]})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        used = GaugeMetricFamily(
            "fitcoach_budget_used_requests",
            "Requests counted in the current window by fitcoach (raised to Strava's count "
            "whenever a response reports more).",
            labels=["limit", "window"],
        )
        limit = GaugeMetricFamily(
            "fitcoach_budget_limit_requests",
            "Request limit in force per window: learnt from Strava's headers, else configured.",
            labels=["limit", "window"],
        )
        usage = status.usage
        for name, window_label, window in (
            ("overall", "15min", usage.short),
            ("overall", "daily", usage.daily),
            ("read", "15min", usage.read_short),
            ("read", "daily", usage.read_daily),
        ):
            used.add_metric([name, window_label], window.used)
            limit.add_metric([name, window_label], window.limit)
        yield used
        yield limit
        athlete_limit = GaugeMetricFamily(
            "fitcoach_athlete_limit_requests",
            "Each athlete's request quota per window.",
            labels=["window"],
        )
        athlete_limit.add_metric(["15min"], status.athlete_short_limit)
        athlete_limit.add_metric(["daily"], status.athlete_daily_limit)
        yield athlete_limit
        counts = dict(zip(WINDOWS, (status.athletes_short, status.athletes_daily), strict=True))
        yield _top(counts)
        yield _histogram(counts)
        yield _gauge(
            "fitcoach_athletes_active_today",
            "Athletes with at least one Strava request made for them today (UTC).",
            len(status.athletes_daily),
        )

    def _queue_figures(self) -> Iterator[Metric]:
        try:
            status = queue_status(self._queue)
        except Exception as error:  # huey's storage errors have no common base class
            log.warning("metrics: queue unreadable", extra={"error": str(error)[:200]})
            return
        if status is None:
            return
        tasks = GaugeMetricFamily(
            "fitcoach_queue_tasks",
            "Tasks in the queue: pending (ready to run) and scheduled (for later).",
            labels=["state"],
        )
        tasks.add_metric(["pending"], status.pending)
        tasks.add_metric(["scheduled"], status.scheduled)
        yield tasks


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _top(counts: Mapping[str, Mapping[int, int]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "fitcoach_athlete_top_requests",
        f"Requests in the current window of the {TOP_ATHLETES} athletes who made the most.",
        labels=["window", "athlete_id"],
    )
    for window, by_athlete in counts.items():
        for athlete_id, used in top(by_athlete, TOP_ATHLETES):
            family.add_metric([window, str(athlete_id)], used)
    return family


def _histogram(counts: Mapping[str, Mapping[int, int]]) -> GaugeHistogramMetricFamily:
    family = GaugeHistogramMetricFamily(
        "fitcoach_athlete_requests",
        "How many athletes made how many requests in the current window (athletes with "
        "at least one).",
        labels=["window"],
    )
    for window, by_athlete in counts.items():
        values = list(by_athlete.values())
        buckets = [(str(bound), sum(1 for v in values if v <= bound)) for bound in ATHLETE_BUCKETS]
        buckets.append(("+Inf", len(values)))
        family.add_metric([window], buckets, gsum_value=sum(values))
    return family
