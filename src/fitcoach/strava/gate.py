"""The budget as the Strava client's gate: ask before each request, learn after it."""

from __future__ import annotations

import logging
import time

import httpx

from fitcoach.core import metrics
from fitcoach.strava.budget import BadRateHeaders, Budget, Priority, Usage
from fitcoach.strava.budget.policy import priority_metric_label
from fitcoach.strava.errors import BudgetExhausted, RateLimited

log = logging.getLogger("fitcoach.strava")


# Seconds one reading of the shared budget serves ``recent_usage``.
USAGE_READ_EVERY = 2.0


class BudgetGate:
    """Adapts a Budget to the client's Gate protocol."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._usage: tuple[float, Usage] | None = None

    def recent_usage(self) -> Usage:
        """The budget's use, read at most every ``USAGE_READ_EVERY`` seconds: the pages'
        note changes by a few requests a second, and reading it for every view would cost
        a round trip to Redis or the database."""
        cached = self._usage
        if cached is None or time.monotonic() - cached[0] > USAGE_READ_EVERY:
            cached = (time.monotonic(), self.budget.usage())
            self._usage = cached
        return cached[1]

    def before(self, priority: int, athlete_id: int | None, endpoint: str) -> None:
        decision = self.budget.acquire(Priority(priority), athlete_id)
        if not decision.allowed:
            label = priority_metric_label(priority)
            metrics.budget_refused(
                label, decision.reason, decision.at, decision.retry_at, athlete_id is not None
            )
            log.info(
                "strava call held back",
                extra={
                    "endpoint": endpoint,
                    "priority": label,
                    "athlete_id": athlete_id,
                    "reason": decision.reason,
                    "retry_at": decision.retry_at,
                },
            )
            raise BudgetExhausted(f"{endpoint}: {decision.reason}", decision.retry_at)

    def after(
        self, priority: int, athlete_id: int | None, endpoint: str, response: httpx.Response
    ) -> None:
        try:
            report = self.budget.observe(response.headers)
        except BadRateHeaders as error:
            log.warning("unreadable rate-limit headers", extra={"error": str(error)})
        else:
            for limit, part in (("overall", report.overall), ("read", report.read)):
                if part is not None:
                    metrics.strava_reported(
                        limit,
                        part.short_usage,
                        part.daily_usage,
                        part.short_limit,
                        part.daily_limit,
                    )
        if response.status_code == 429:
            # Strava's count says we are over: nothing more goes until the window resets.
            reopens = self.budget.close()
            raise RateLimited(f"{endpoint}: Strava's rate limit is reached", reopens)
