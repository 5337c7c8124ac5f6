"""The response cache: repeated identical reads cost one request; news is never cached."""

from __future__ import annotations

from typing import Any

import httpx
import redis

from fitcoach.strava.cache import MemoryCache, RedisCache
from fitcoach.strava.client import StravaClient
from tests.conftest import RunningServer


def test_memory_cache_expires_and_stays_bounded() -> None:
    now = [0.0]
    cache = MemoryCache(ttl_s=60, max_entries=2, clock=lambda: now[0])
    cache.put("a", {"x": 1})
    cache.put("b", 2)
    assert cache.get("a") == {"x": 1}  # "a" is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == {"x": 1} and cache.get("c") == 3
    now[0] = 61
    assert cache.get("a") is None


def requests_seen(simulator: RunningServer) -> int:
    return int(httpx.get(f"{simulator.url}/_sim/usage").json()["total"])


def setup(simulator: RunningServer) -> tuple[str, int, int]:
    athletes = httpx.get(f"{simulator.url}/_sim/athletes").json()
    athlete_id = int(athletes[0]["id"])
    token = httpx.post(
        f"{simulator.url}/_sim/athletes/{athlete_id}/token",
        json={"scope": "read,activity:read_all"},
    ).json()["access_token"]
    listing = httpx.get(
        f"{simulator.url}/api/v3/athlete/activities",
        headers={"Authorization": f"Bearer {token}"},
        params={"per_page": 1},
    ).json()
    return token, athlete_id, int(listing[0]["id"])


def test_repeated_reads_cost_one_request(simulator: RunningServer) -> None:
    token, athlete_id, activity_id = setup(simulator)
    client = StravaClient(simulator.url, "1", "simulator-secret", cache=MemoryCache(1800))
    before = requests_seen(simulator)
    calls: list[Any] = []
    for _ in range(3):
        calls.append(
            client.streams(token, activity_id, ["watts"], priority=3, athlete_id=athlete_id)
        )
        calls.append(client.activity(token, activity_id, priority=3, athlete_id=athlete_id))
    assert requests_seen(simulator) == before + 2
    assert calls[0] == calls[2] and calls[1].id == activity_id
    client.activity(token, activity_id, priority=3, athlete_id=athlete_id, fresh=True)
    assert requests_seen(simulator) == before + 3  # a known change bypasses the cache
    for _ in range(2):
        client.activities(token, priority=3, athlete_id=athlete_id, per_page=5)
    assert requests_seen(simulator) == before + 5  # lists carry news: never cached


def test_redis_cache_is_shared_between_processes(simulator: RunningServer, redis_url: str) -> None:
    token, athlete_id, activity_id = setup(simulator)
    shared = redis.Redis.from_url(redis_url)
    first = StravaClient(simulator.url, "1", "simulator-secret", cache=RedisCache(shared, 60))
    second = StravaClient(simulator.url, "1", "simulator-secret", cache=RedisCache(shared, 60))
    before = requests_seen(simulator)
    one = first.activity(token, activity_id, priority=3, athlete_id=athlete_id)
    two = second.activity(token, activity_id, priority=3, athlete_id=athlete_id)
    assert one.raw == two.raw and requests_seen(simulator) == before + 1
    assert 0 < shared.pttl(f"fitcoach:cache:activity:{athlete_id}:{activity_id}") <= 60_000
    shared.close()
