"""Strava's API budget: the one gate that decides whether a Strava request may go out now.

Windows are Strava's (15 minutes on the quarter hour, daily from 00:00 UTC); every request
counts against the application's overall and read limits and, when it is made for an
athlete, against that athlete's quota. Lower priorities leave a share of each window to
higher ones. The counters are shared by every process: in the database (embedded mode) or
in Redis (production), chosen by `open_budget` from the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitcoach.strava.budget.backend import Backend, Count, Take
from fitcoach.strava.budget.errors import (
    BadRateHeaders,
    BudgetConfigError,
    BudgetError,
    BudgetUnavailable,
)
from fitcoach.strava.budget.gate import AthleteUsage, Budget, Decision, Usage, WindowUsage
from fitcoach.strava.budget.headers import LimitReport, RateReport, parse_rate_headers
from fitcoach.strava.budget.policy import Limits, Priority, Shares
from fitcoach.strava.budget.redis import DEFAULT_PREFIX, RedisBackend
from fitcoach.strava.budget.repository import DatabaseBackend
from fitcoach.strava.budget.windows import Clock, Window, utc_now, window_end, window_start

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from fitcoach.core.settings import Settings

__all__ = [
    "AthleteUsage",
    "Backend",
    "BadRateHeaders",
    "Budget",
    "BudgetConfigError",
    "BudgetError",
    "BudgetUnavailable",
    "Clock",
    "Count",
    "DatabaseBackend",
    "Decision",
    "LimitReport",
    "Limits",
    "Priority",
    "RateReport",
    "RedisBackend",
    "Shares",
    "Take",
    "Usage",
    "Window",
    "WindowUsage",
    "open_budget",
    "parse_rate_headers",
    "utc_now",
    "window_end",
    "window_start",
]


def open_budget(
    settings: Settings,
    *,
    engine: Engine | None = None,
    shares: Shares | None = None,
    clock: Clock = utc_now,
    redis_prefix: str = DEFAULT_PREFIX,
) -> Budget:
    """The budget the settings call for: Redis when REDIS_URL is set, else the database.

    Pass the application's `engine` to share its connection pool; without one, an engine
    for DATABASE_URL is made.
    """
    limits = Limits.from_settings(settings)
    backend: Backend
    if settings.redis_url:
        backend = RedisBackend.from_url(settings.redis_url, prefix=redis_prefix)
    else:
        if engine is None:
            from fitcoach.core.db import make_engine

            engine = make_engine(settings.database)
        backend = DatabaseBackend(engine)
    return Budget(backend, limits, shares or Shares.from_settings(settings), clock=clock)
