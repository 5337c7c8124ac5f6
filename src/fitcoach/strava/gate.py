"""The budget as the Strava client's gate: ask before each request, learn after it."""

from __future__ import annotations

import logging

import httpx

from fitcoach.monitoring import metrics
from fitcoach.strava.budget import BadRateHeaders, Budget, Priority
from fitcoach.strava.errors import BudgetExhausted, RateLimited

log = logging.getLogger("fitcoach.strava")


class BudgetGate:
    """Adapts a Budget to the client's Gate protocol."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def before(self, priority: int, athlete_id: int | None, endpoint: str) -> None:
        decision = self.budget.acquire(Priority(priority), athlete_id)
        if not decision.allowed:
            metrics.budget_refused(
                priority, decision.reason, decision.at, decision.retry_at, athlete_id is not None
            )
            log.info(
                "strava call held back",
                extra={
                    "endpoint": endpoint,
                    "priority": metrics.priority_label(priority),
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
            metrics.strava_reported(self.budget.observe(response.headers))
        except BadRateHeaders as error:
            log.warning("unreadable rate-limit headers", extra={"error": str(error)})
        if response.status_code == 429:
            # Strava's count says we are over: nothing more goes until the window resets.
            reopens = self.budget.close()
            raise RateLimited(f"{endpoint}: Strava's rate limit is reached", reopens)
