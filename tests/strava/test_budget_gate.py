"""The budget's behaviour, the same on every backend: SQLite, PostgreSQL and Redis.

Time is an injected clock, so window boundaries are crossed exactly and instantly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.core.settings import Settings
from fitcoach.models import ApiUsage
from fitcoach.strava.budget import (
    Backend,
    BadRateHeaders,
    Budget,
    BudgetConfigError,
    DatabaseBackend,
    Limits,
    Priority,
    RedisBackend,
    Shares,
    Usage,
    open_budget,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = at(text)


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        redis_backend = RedisBackend.from_url(url, prefix=f"fitcoach-test:{uuid.uuid4().hex}:")
        yield redis_backend
        redis_backend.clear()
        redis_backend.dispose()
        return
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    migrations.upgrade(engine)
    yield DatabaseBackend(engine)
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at("2026-03-01T14:37:00"))


BudgetFactory = Callable[..., Budget]


@pytest.fixture
def make_budget(backend: Backend, clock: FakeClock) -> BudgetFactory:
    def make(limits: Limits | None = None, shares: Shares | None = None) -> Budget:
        return Budget(backend, limits or Limits(), shares, clock=clock)

    return make


def grant(budget: Budget, count: int, priority: Priority, athlete_id: int | None = None) -> int:
    return sum(budget.acquire(priority, athlete_id).allowed for _ in range(count))


def used(usage: Usage) -> tuple[int, int, int, int]:
    return (usage.short.used, usage.daily.used, usage.read_short.used, usage.read_daily.used)


def test_the_short_window_resets_on_the_quarter_hour_but_not_the_daily_one(
    make_budget: BudgetFactory, clock: FakeClock
) -> None:
    budget = make_budget(Limits(short=3, read_short=3))
    clock.set("2026-03-01T14:59:59")
    assert grant(budget, 3, Priority.INTERACTIVE) == 3
    refused = budget.acquire(Priority.INTERACTIVE)
    assert not refused.allowed
    assert refused.retry_at == at("2026-03-01T15:00:00")

    clock.set("2026-03-01T15:00:00")
    assert budget.acquire(Priority.INTERACTIVE).allowed
    assert used(budget.usage()) == (1, 4, 1, 4)


def test_midnight_utc_resets_both_windows(make_budget: BudgetFactory, clock: FakeClock) -> None:
    budget = make_budget(Limits(short=10, long=4, read_short=10, read_long=4))
    clock.set("2026-03-01T23:59:59")
    assert grant(budget, 5, Priority.INTERACTIVE) == 4
    refused = budget.acquire(Priority.SCHEDULED)
    assert refused.retry_at == at("2026-03-02T00:00:00")
    assert refused.reason == (
        "the daily window is 100 % used; scheduled sync waits until 00:00 UTC on 2026-03-02"
    )

    clock.set("2026-03-02T00:00:00")
    assert budget.acquire(Priority.INTERACTIVE).allowed
    assert used(budget.usage()) == (1, 1, 1, 1)


def test_a_request_at_the_very_end_of_a_window_counts_in_the_next_one_too(
    make_budget: BudgetFactory, clock: FakeClock
) -> None:
    # It may reach Strava after the quarter hour and be counted there.
    budget = make_budget(Limits(short=3, read_short=3))
    clock.now = at("2026-03-01T14:59:59.600000")
    assert budget.acquire(Priority.INTERACTIVE, athlete_id=2).allowed
    clock.set("2026-03-01T15:00:00")
    assert used(budget.usage()) == (1, 1, 1, 1)
    assert budget.athlete_usage(2).short.used == 1
    assert grant(budget, 3, Priority.INTERACTIVE) == 2


def test_the_guard_is_configurable(backend: Backend, clock: FakeClock) -> None:
    budget = Budget(backend, clock=clock, guard=timedelta(0))
    clock.now = at("2026-03-01T14:59:59.999999")
    assert budget.acquire(Priority.INTERACTIVE).allowed
    clock.set("2026-03-01T15:00:00")
    assert budget.usage().short.used == 0
    with pytest.raises(BudgetConfigError, match="guard"):
        Budget(backend, guard=timedelta(seconds=-1))


def test_exactly_the_limit_is_granted_then_refused_until_the_reset(
    make_budget: BudgetFactory,
) -> None:
    budget = make_budget(Limits(short=10, read_short=10))
    assert grant(budget, 10, Priority.INTERACTIVE) == 10
    refused = budget.acquire(Priority.INTERACTIVE)
    assert not refused.allowed
    assert refused.retry_at == at("2026-03-01T14:45:00")
    assert refused.reason == (
        "the 15-minute window is 100 % used; an interactive request waits until 14:45 UTC"
    )
    # A refused request is not counted: nothing went out.
    assert used(budget.usage()) == (10, 10, 10, 10)


def test_the_read_limit_binds_when_it_is_the_lower_one(make_budget: BudgetFactory) -> None:
    budget = make_budget(Limits(short=200, read_short=5))
    assert grant(budget, 8, Priority.INTERACTIVE) == 5
    refused = budget.acquire(Priority.INTERACTIVE)
    assert refused.reason.startswith("the 15-minute read window is 100 % used")


def test_each_athlete_has_a_quota_of_their_own(make_budget: BudgetFactory) -> None:
    budget = make_budget(Limits(short=10, read_short=10, athlete_short=3))
    assert grant(budget, 3, Priority.INTERACTIVE, athlete_id=1) == 3
    refused = budget.acquire(Priority.INTERACTIVE, athlete_id=1)
    assert refused.retry_at == at("2026-03-01T14:45:00")
    assert refused.reason == (
        "athlete 1's 15-minute quota is 100 % used; an interactive request waits until 14:45 UTC"
    )
    # The athlete's refusal took nothing from the application, and others still go.
    assert budget.usage().short.used == 3
    assert grant(budget, 3, Priority.INTERACTIVE, athlete_id=2) == 3
    assert budget.acquire(Priority.INTERACTIVE).allowed
    assert budget.athlete_usage(1).short.used == 3
    assert budget.athlete_usage(2).short.used == 3
    assert budget.athlete_usage(3).short.used == 0

    # An athlete with quota left still waits when the application's window is full.
    assert grant(budget, 5, Priority.INTERACTIVE) == 3
    refused = budget.acquire(Priority.INTERACTIVE, athlete_id=4)
    assert refused.reason.startswith("the 15-minute window is 100 % used")
    assert budget.athlete_usage(4).short.used == 0


def test_the_athlete_daily_quota(make_budget: BudgetFactory, clock: FakeClock) -> None:
    budget = make_budget(Limits(athlete_short=50, athlete_long=4))
    for moment in ("00:05", "06:20", "12:40", "18:55"):
        clock.set(f"2026-03-01T{moment}:00")
        assert budget.acquire(Priority.INTERACTIVE, athlete_id=9).allowed
    clock.set("2026-03-01T22:00:00")
    refused = budget.acquire(Priority.INTERACTIVE, athlete_id=9)
    assert refused.retry_at == at("2026-03-02T00:00:00")
    assert "athlete 9's daily quota is 100 % used" in refused.reason
    assert budget.athlete_usage(9).daily.used == 4


def test_backfill_waits_at_70_percent_while_a_person_goes_through(
    make_budget: BudgetFactory,
) -> None:
    budget = make_budget(Limits(short=100, read_short=100))
    assert grant(budget, 70, Priority.INTERACTIVE) == 70

    deferred = budget.acquire(Priority.BACKFILL, athlete_id=5)
    assert not deferred.allowed
    assert deferred.retry_at == at("2026-03-01T14:45:00")
    assert deferred.reason == "the 15-minute window is 70 % used; backfill waits until 14:45 UTC"
    assert budget.acquire(Priority.INTERACTIVE, athlete_id=5).allowed


def test_each_priority_stops_at_its_share(make_budget: BudgetFactory) -> None:
    budget = make_budget(Limits(short=100, read_short=100, long=10_000, read_long=10_000))
    # Filled from the lowest priority up, each stops where its share ends.
    assert [grant(budget, 120, priority) for priority in Priority] == [70, 15, 10, 5]
    assert budget.usage().short.used == 100


def test_shares_apply_to_the_daily_window_and_are_configurable(
    make_budget: BudgetFactory,
) -> None:
    budget = make_budget(Limits(short=1000, long=10), Shares(backfill=0.5, scheduled=0.5))
    assert grant(budget, 10, Priority.BACKFILL) == 5
    refused = budget.acquire(Priority.SCHEDULED)
    assert refused.reason.startswith("the daily window is 50 % used; scheduled sync waits")
    assert grant(budget, 10, Priority.WEBHOOK) == 4


def test_strava_reporting_more_usage_raises_our_count(make_budget: BudgetFactory) -> None:
    budget = make_budget(Limits(short=100, read_short=100))
    grant(budget, 5, Priority.INTERACTIVE)
    budget.observe(
        {
            "X-RateLimit-Limit": "100,1000",
            "X-RateLimit-Usage": "40,300",
            "X-ReadRateLimit-Limit": "100,1000",
            "X-ReadRateLimit-Usage": "38,290",
        }
    )
    assert used(budget.usage()) == (40, 300, 38, 290)
    # Strava's count now decides: 60 left in the overall window, 62 in the read one.
    assert grant(budget, 100, Priority.INTERACTIVE) == 60


def test_strava_reporting_less_usage_keeps_ours(make_budget: BudgetFactory) -> None:
    budget = make_budget()
    grant(budget, 40, Priority.INTERACTIVE)
    # Some of ours may still be in flight when Strava answered: never count down.
    budget.observe({"X-RateLimit-Limit": "100,1000", "X-RateLimit-Usage": "5,7"})
    assert used(budget.usage()) == (40, 40, 40, 40)


def test_limits_reported_by_strava_are_adopted_by_every_sharer(
    make_budget: BudgetFactory,
) -> None:
    budget = make_budget(Limits(short=100, long=1000, read_short=100, read_long=1000))
    budget.observe(
        {
            "X-RateLimit-Limit": "600,6000",
            "X-RateLimit-Usage": "0,0",
            "X-ReadRateLimit-Limit": "300,3000",
            "X-ReadRateLimit-Usage": "0,0",
        }
    )
    other_process = make_budget(Limits(short=100, long=1000, read_short=100, read_long=1000))
    usage = other_process.usage()
    assert (usage.short.limit, usage.daily.limit) == (600, 6000)
    assert (usage.read_short.limit, usage.read_daily.limit) == (300, 3000)
    assert grant(other_process, 400, Priority.INTERACTIVE) == 300

    # And a lowered limit is adopted too.
    budget.observe({"X-ReadRateLimit-Limit": "200,2000", "X-ReadRateLimit-Usage": "300,300"})
    assert other_process.usage().read_short.limit == 200
    assert not other_process.acquire(Priority.INTERACTIVE).allowed


def test_a_response_from_the_last_window_does_not_charge_the_new_one(
    make_budget: BudgetFactory, clock: FakeClock
) -> None:
    budget = make_budget()
    sent = at("2026-03-01T14:59:59")
    clock.set("2026-03-01T15:00:01")
    budget.observe({"X-RateLimit-Limit": "100,1000", "X-RateLimit-Usage": "99,400"}, sent_at=sent)
    assert budget.usage().short.used == 0
    assert budget.usage().daily.used == 400


def test_close_after_a_429_shuts_the_gate_until_the_window_resets(
    make_budget: BudgetFactory, clock: FakeClock
) -> None:
    budget = make_budget()
    grant(budget, 3, Priority.INTERACTIVE)
    assert budget.close() == at("2026-03-01T14:45:00")
    for priority in Priority:
        decision = budget.acquire(priority, athlete_id=3)
        assert not decision.allowed
        assert decision.retry_at == at("2026-03-01T14:45:00")
    usage = budget.usage()
    assert (usage.short.used, usage.read_short.used) == (100, 100)
    assert usage.daily.used == 3

    clock.set("2026-03-01T14:44:59")
    assert not budget.acquire(Priority.INTERACTIVE).allowed
    clock.set("2026-03-01T14:45:00")
    assert budget.acquire(Priority.BACKFILL).allowed


def test_close_until_tomorrow_shuts_the_daily_window(
    make_budget: BudgetFactory, clock: FakeClock
) -> None:
    budget = make_budget()
    assert budget.close(retry_after=at("2026-03-02T00:00:00")) == at("2026-03-02T00:00:00")
    clock.set("2026-03-01T14:45:00")
    refused = budget.acquire(Priority.INTERACTIVE)
    assert refused.retry_at == at("2026-03-02T00:00:00")
    assert refused.reason.startswith("the daily window is 100 % used")
    clock.set("2026-03-02T00:00:00")
    assert budget.acquire(Priority.INTERACTIVE).allowed


def test_close_uses_the_limits_strava_reported(make_budget: BudgetFactory) -> None:
    budget = make_budget()
    budget.observe({"X-RateLimit-Limit": "250,2500", "X-RateLimit-Usage": "250,300"})
    budget.close()
    assert budget.usage().short.used == 250


@pytest.mark.parametrize(
    "headers",
    [
        {"X-RateLimit-Limit": "100,1000"},
        {"X-RateLimit-Limit": "100,1000", "X-RateLimit-Usage": "90"},
        {
            "X-RateLimit-Limit": "100,1000",
            "X-RateLimit-Usage": "90,900",
            "X-ReadRateLimit-Limit": "100,1000",
            "X-ReadRateLimit-Usage": "ninety,900",
        },
        {"X-RateLimit-Limit": "0,0", "X-RateLimit-Usage": "90,900"},
    ],
)
def test_malformed_headers_change_nothing(
    make_budget: BudgetFactory, headers: dict[str, str]
) -> None:
    budget = make_budget()
    grant(budget, 2, Priority.INTERACTIVE)
    before = budget.usage()
    with pytest.raises(BadRateHeaders):
        budget.observe(headers)
    assert budget.usage() == before


def test_bad_requests_are_refused_and_count_nothing(
    make_budget: BudgetFactory, clock: FakeClock
) -> None:
    budget = make_budget()
    with pytest.raises(BudgetConfigError, match="priority must be one of"):
        budget.acquire(7)  # type: ignore[arg-type]
    with pytest.raises(BudgetConfigError, match="athlete_id"):
        budget.acquire(Priority.INTERACTIVE, "42")  # type: ignore[arg-type]
    clock.now = datetime(2026, 3, 1, 14, 37)
    with pytest.raises(BudgetConfigError, match="naive"):
        budget.acquire(Priority.INTERACTIVE)
    clock.set("2026-03-01T14:37:00")
    assert used(budget.usage()) == (0, 0, 0, 0)


def test_the_usage_snapshot_names_each_window(make_budget: BudgetFactory) -> None:
    budget = make_budget(Limits(short=200, long=2000, read_short=100, read_long=1000))
    grant(budget, 25, Priority.WEBHOOK, athlete_id=8)
    usage = budget.usage()
    assert usage.short.start == at("2026-03-01T14:30:00")
    assert usage.short.resets_at == at("2026-03-01T14:45:00")
    assert usage.daily.resets_at == at("2026-03-02T00:00:00")
    assert (usage.short.limit, usage.read_short.limit) == (200, 100)
    assert usage.read_short.fraction == 0.25
    athlete = budget.athlete_usage(8)
    assert (athlete.short.used, athlete.short.limit, athlete.daily.limit) == (25, 50, 500)


def test_old_windows_are_pruned_from_the_database(sqlite_url: object, clock: FakeClock) -> None:
    engine = make_engine(sqlite_url)  # type: ignore[arg-type]
    migrations.upgrade(engine)
    budget = Budget(DatabaseBackend(engine), clock=clock)
    budget.observe({"X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": "1,1"})
    for _ in range(3):
        assert budget.acquire(Priority.INTERACTIVE, athlete_id=1).allowed
        clock.now += timedelta(days=1, minutes=15)
    with engine.connect() as connection:
        starts = connection.execute(select(func.count()).select_from(ApiUsage)).scalar_one()
    # Two days kept (2 windows x 3 scopes x 2 days = 12 rows) plus the learnt limits (2).
    assert starts == 12 + 2
    assert budget.usage().short.limit == 200
    engine.dispose()


def test_open_budget_uses_the_database_without_redis(sqlite_url: URL) -> None:
    settings = Settings(
        database_url=str(sqlite_url), strava_athlete_short_limit=7, strava_backfill_share=0.5
    )
    embedded = open_budget(settings)
    assert isinstance(embedded.backend, DatabaseBackend)
    assert embedded.limits.athlete_short == 7
    assert embedded.shares == Shares(backfill=0.5)
    migrations.upgrade(embedded.backend.engine)
    assert embedded.acquire(Priority.INTERACTIVE, 1).allowed
    embedded.backend.dispose()


def test_open_budget_uses_redis_when_it_is_configured(redis_url: str) -> None:
    production = open_budget(
        Settings(redis_url=redis_url), redis_prefix=f"fitcoach-test:{uuid.uuid4().hex}:"
    )
    assert isinstance(production.backend, RedisBackend)
    assert production.acquire(Priority.INTERACTIVE, 1).allowed
    assert production.usage().short.used == 1
    production.backend.clear()
    production.backend.dispose()
