"""The Strava client every fitcoach process uses: gated by the shared budget."""

from __future__ import annotations

from redis import Redis
from sqlalchemy import Engine

from fitcoach.core.settings import Settings
from fitcoach.strava.budget import open_budget
from fitcoach.strava.cache import MemoryCache, RedisCache, ResponseCache
from fitcoach.strava.client import StravaClient
from fitcoach.strava.gate import BudgetGate


def strava_client(settings: Settings, engine: Engine) -> StravaClient:
    """A client whose every API request passes the budget (database or Redis counters)."""
    budget = open_budget(settings, engine=engine)
    cache: ResponseCache | None = None
    if settings.strava_cache_seconds > 0:
        cache = (
            RedisCache(Redis.from_url(settings.redis_url), settings.strava_cache_seconds)
            if settings.redis_url
            else MemoryCache(settings.strava_cache_seconds)
        )
    return StravaClient(
        settings.strava_base_url,
        settings.strava_client_id,
        settings.strava_client_secret,
        gate=BudgetGate(budget),
        cache=cache,
    )
