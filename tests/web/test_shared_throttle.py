"""Sign-in limits kept in Redis: every process spends one bucket, the key typed (an
e-mail) is not stored in the clear, and an unreachable Redis leaves the process's own
limit in force."""

from __future__ import annotations

from redis import Redis

from fitcoach.web.throttle import ACCOUNT_BURST, ACCOUNT_PER_MINUTE, LoginLimits, SharedThrottle


def test_two_processes_spend_one_bucket_and_it_refills(redis_url: str) -> None:
    now = [1_000.0]
    redis: Redis[bytes] = Redis.from_url(redis_url)
    one = SharedThrottle(redis, "login-account", ACCOUNT_BURST, ACCOUNT_PER_MINUTE, lambda: now[0])
    two = SharedThrottle(redis, "login-account", ACCOUNT_BURST, ACCOUNT_PER_MINUTE, lambda: now[0])
    taken = [(one if i % 2 else two).take("ada@example.com") for i in range(ACCOUNT_BURST)]
    assert taken == [None] * ACCOUNT_BURST
    wait = one.take("ada@example.com")
    assert wait is not None and abs(wait - 60 / ACCOUNT_PER_MINUTE) < 1e-6
    assert two.take("other@example.com") is None  # another account's bucket is its own
    now[0] += 60 / ACCOUNT_PER_MINUTE  # one try refilled, for either process
    assert two.take("ada@example.com") is None
    assert one.take("ada@example.com") is not None
    keys = [key.decode() for key in redis.scan_iter("fitcoach:throttle:*")]
    assert len(keys) == 2 and not any("example.com" in key for key in keys)
    # Kept until the bucket would be full again, and a minute more.
    assert 0 < redis.ttl(keys[0]) <= 60 * ACCOUNT_BURST / ACCOUNT_PER_MINUTE + 61
    redis.close()


def test_without_redis_reachable_the_process_limit_applies() -> None:
    now = [1_000.0]
    gone: Redis[bytes] = Redis.from_url(
        "redis://127.0.0.1:1/0", socket_timeout=0.5, socket_connect_timeout=0.5
    )
    limits = LoginLimits(clock=lambda: now[0], redis=gone)
    for _ in range(ACCOUNT_BURST):
        assert limits.take("ada@example.com", "198.51.100.7") is None
    assert limits.take("ada@example.com", "198.51.100.7") is not None
