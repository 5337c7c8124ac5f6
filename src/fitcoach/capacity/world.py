"""One strategy's run: a fresh simulator and database, the population's days replayed.

The loop takes the next thing in simulated time — a population event, a task a strategy
queued, or a quarter-hour tick — moves the one shared clock to it and does it. At the end
of each 15-minute window it reads the simulator's own usage counter (the truth), and at
the end of each day the simulator's daily count beside fitcoach's own count of requests.
"""

from __future__ import annotations

import heapq
import random
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from fitcoach import migrations
from fitcoach.activities.queries import names_by_strava_id
from fitcoach.activities.repository import upsert_api_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.capacity.accounting import (
    ClientCounters,
    DayStats,
    endpoint_delta,
    is_stale,
    lower_bound,
)
from fitcoach.capacity.harness import (
    BASE_URL,
    CALLBACK_SECRET,
    VERIFY_TOKEN,
    WAIT_S,
    Control,
    Inbox,
    InProcess,
    SimTime,
    capture_webhooks,
    read_usage,
    wrap,
)
from fitcoach.capacity.options import CapacityOptions
from fitcoach.capacity.population import DAY, Kind, Population, Upload
from fitcoach.capacity.strategy import CountingGate, Runtime, Shown, Strategy, Task
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.simulator import SimulatorConfig, create_app
from fitcoach.simulator.core import Simulator
from fitcoach.strava.budget import Budget, DatabaseBackend
from fitcoach.strava.client import StravaClient
from fitcoach.strava.models import TokenResponse
from fitcoach.sync.connection import connect_athletes
from fitcoach.sync.context import SyncContext
from fitcoach.sync.repository import get_sync_state
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.subscription import register_subscription

CLIENT_ID, CLIENT_SECRET = "1", "simulator-secret"  # the simulator's one application
SCOPES = "read,activity:read_all"
# The population registered before the run has a short history: it starts synced, and
# only what happens during the run is measured. New athletes bring --history-days.
INITIAL_HISTORY_DAYS = 3
# The simulator's histories end this long before the run, before any run upload starts.
SETUP_LEAD_S = 6 * 3600
QUARTER = 900
TICK_EPSILON = 0.001
PRIME_BATCH = 500
T = TypeVar("T")


@dataclass
class StrategyRun:
    strategy: str
    athletes: int
    days: list[DayStats]
    seconds: float
    peak_rss_mb: float
    aborted: str | None = None  # why a --find-max probe stopped early
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def serves_all(self) -> bool:
        """CAPACITY.md's --find-max test: no failed view, under 1 % stale, every day."""
        return self.aborted is None and all(
            d.failed_views == 0 and d.stale_views < 0.01 * max(d.views, 1) for d in self.days
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class World:
    def __init__(
        self,
        options: CapacityOptions,
        population: Population,
        strategy: type[Strategy],
        workdir: Path,
        stop_when_failing: bool = False,
    ) -> None:
        self.options, self.population, self.strategy_type = options, population, strategy
        self.workdir, self.stop_when_failing = workdir, stop_when_failing
        self.time = SimTime(population.start - SETUP_LEAD_S)
        self.days = [DayStats(d, athletes=population.athletes_on(d)) for d in range(options.days)]
        self.tasks: list[tuple[float, int, str, Task]] = []
        self.task_seq = 0
        self.athlete_of: dict[int, int] = {}  # person -> Strava's athlete id
        self.member_of: dict[int, int] = {}  # person -> fitcoach's id for the athlete
        self.activity_of: dict[int, int] = {}
        self.history: dict[int, int] = {}
        self.uploads_of: dict[int, list[Upload]] = {}
        self.aborted: str | None = None
        self.setup_seconds = 0.0

    def schedule(self, at: float, task: Task, cause: str) -> None:
        if at < self.population.end:
            self.task_seq += 1
            heapq.heappush(self.tasks, (max(at, self.time.seconds()), self.task_seq, cause, task))

    def attributed(self, cause: str, action: Callable[[], T]) -> T:
        """Do `action`, adding the Strava requests it made to the day's `cause`."""
        before = self.gate.sent
        result = action()
        made = self.gate.sent - before
        if made:
            by_cause = self._today().calls_by_cause
            by_cause[cause] = by_cause.get(cause, 0) + made
        return result

    def run(self) -> StrategyRun:
        started = time.perf_counter()
        options = self.options
        config = SimulatorConfig(
            athletes=sum(1 for p in self.population.people if p.joins_at is None),
            seed=options.seed,
            history_days=INITIAL_HISTORY_DAYS,
            short_limit=options.short_limit,
            long_limit=options.long_limit,
            read_short_limit=options.read_short_limit,
            read_long_limit=options.read_long_limit,
            clock=self.time.seconds,
        )
        simulator = create_app(config)
        self.inbox = Inbox()
        served = wrap(simulator)
        capture_webhooks(simulator.state.sim, self.inbox, served)
        transport = InProcess(served)
        self.control = Control(simulator.state.sim, SCOPES)
        scratch = tempfile.TemporaryDirectory(
            dir=self.workdir, prefix=f"{self.strategy_type.name}-"
        )
        engine = make_engine(make_url(f"sqlite:///{Path(scratch.name) / 'fitcoach.db'}"))
        try:
            migrations.upgrade(engine)
            limits, shares = self.strategy_type.budget_policy(options)
            budget = Budget(DatabaseBackend(engine), limits, shares, clock=self.time.now)
            self.gate = CountingGate(budget)
            client = StravaClient(
                BASE_URL,
                CLIENT_ID,
                CLIENT_SECRET,
                gate=self.gate,
                http=httpx.Client(timeout=WAIT_S, transport=transport),
            )
            ring = key_ring([Fernet.generate_key().decode()])
            context = SyncContext(session_factory(engine), ring, client, clock=self.time.now)
            self.runtime = Runtime(self.time, context, self.schedule, options)
            self.strategy = self.strategy_type(self.runtime)
            self._prime(simulator.state.sim)
            self.setup_seconds = time.perf_counter() - started
            if self.strategy.webhooks:
                register_subscription(
                    context.sessions, client, BASE_URL, VERIFY_TOKEN, CALLBACK_SECRET
                )
            self.control.reset_usage()  # the subscription calls are set-up, not the run
            self._loop()
        finally:
            self.control.close()
            transport.close()
            engine.dispose()
            scratch.cleanup()
        bound = lower_bound(self.population, self.history)
        for stats in self.days:
            stats.lower_bound = bound[stats.day]
        extra = {
            "lost_events": int(getattr(self.strategy, "lost", 0)),
            "upgraded_loads": int(getattr(self.strategy, "upgraded", 0)),
            "setup_seconds": round(self.setup_seconds),
        }
        return StrategyRun(
            self.strategy_type.name,
            options.athletes,
            self.days,
            time.perf_counter() - started,
            peak_rss_mb(),
            self.aborted,
            extra,
        )

    # Set-up ---------------------------------------------------------------------------

    def _connect(self, strava_ids: list[int]) -> list[int]:
        """Connect athletes as the OAuth callback does (their tokens minted by the
        simulator); fitcoach's ids for them."""
        answers = [(TokenResponse(**self.control.token(i)), SCOPES) for i in strava_ids]
        context = self.runtime.context
        return connect_athletes(context.sessions, context.key_ring, answers)

    def _prime(self, sim: Simulator) -> None:
        """Connect the registered population and store its history as already synced.

        The documents come straight from the simulator's store: fetching them through the
        API would spend budget on days before the run. Last syncs are spread over the day
        before, as in an installation that has been running for a while. Athletes are
        connected and stored `PRIME_BATCH` to a transaction: at 100,000 athletes, one
        transaction each was most of the set-up's time.
        """
        store = sim.store
        rng = random.Random(self.options.seed * 7919 + 1)
        ids = self.control.athlete_ids()
        initial = [p for p in self.population.people if p.joins_at is None]
        pairs = list(zip(initial, ids, strict=True))
        for first in range(0, len(pairs), PRIME_BATCH):
            batch = pairs[first : first + PRIME_BATCH]
            members = self._connect([strava_id for _, strava_id in batch])
            rows_of: list[list[dict[str, Any]]] = []
            for (person, strava_id), member in zip(batch, members, strict=True):
                self.athlete_of[person.index] = strava_id
                self.member_of[person.index] = member
                rows_of.append(
                    [
                        row_from_strava(
                            {
                                "id": act.id,
                                "athlete": {"id": strava_id},
                                "name": act.name,
                                "sport_type": act.sport_type,
                                "start_date": datetime.fromtimestamp(act.start, UTC).isoformat(),
                                "moving_time": act.moving_time,
                                "elapsed_time": act.elapsed_time,
                                "distance": act.distance,
                            },
                            member,
                        )
                        for act in store.history(strava_id)
                        if not act.deleted
                    ]
                )
            with transaction(self.runtime.context.sessions) as session:
                upsert_api_activities(session, [row for rows in rows_of for row in rows])
                for member, rows in zip(members, rows_of, strict=True):
                    last_sync = self.population.start - rng.uniform(0, DAY)
                    state = get_sync_state(session, member)
                    assert state is not None
                    state.last_sync_at = datetime.fromtimestamp(last_sync, UTC)
                    state.backfill_done = True
                    if rows:
                        state.newest_activity_at = max(row["start_date"] for row in rows)
                        state.backfill_cursor = min(row["start_date"] for row in rows)

    # The loop -------------------------------------------------------------------------

    def _loop(self) -> None:
        start, end = self.population.start, self.population.end
        self.time.move_to(start)
        self.counters = ClientCounters()
        self.endpoints: dict[str, int] = {}
        for k in range(self.options.days * 96):
            boundary = start + k * QUARTER
            self.schedule(boundary, self.strategy.quarter_hour, "daily syncs")
            self.schedule(boundary + QUARTER - TICK_EPSILON, self._window_end, "")
        events, i = self.population.events, 0
        while (i < len(events) or self.tasks) and self.aborted is None:
            if self.tasks and (i >= len(events) or self.tasks[0][0] <= events[i].at):
                at, _, cause, task = heapq.heappop(self.tasks)
                self.time.move_to(at)
                self.attributed(cause, task)
                continue
            event = events[i]
            i += 1
            self.time.move_to(event.at)
            self._do(event.kind, event.person, event.upload)
        if self.time.seconds() < end - TICK_EPSILON:  # an aborted probe: close the day
            self._window_end()

    def _do(self, kind: Kind, person: int, upload_index: int) -> None:
        if kind is Kind.JOIN:
            spec = self.population.people[person]
            seed = self.options.seed * 1_000_003 + 500_000 + person
            made = self.control.create_athlete(spec.sport, self.options.history_days, seed)
            strava_id = int(made["id"])
            self.athlete_of[person] = strava_id
            self.history[person] = int(made["activities"])
            member = self.member_of[person] = self._connect([strava_id])[0]
            self.attributed("joins", lambda: self.strategy.joined(member))
            return
        if kind is Kind.VIEW:
            member = self.member_of[person]
            self._account_view(person, self.attributed("views", lambda: self.strategy.view(member)))
        elif kind is Kind.PRESS:
            member = self.member_of[person]
            stats = self._today()
            outcome = self.attributed("refresh presses", lambda: self.strategy.press(member))
            stats.presses += 1
            stats.presses_by_outcome[outcome] = stats.presses_by_outcome.get(outcome, 0) + 1
        else:
            upload = self.population.uploads[upload_index]
            if kind is Kind.UPLOAD:
                name = upload.versions[0][1]
                strava_id = self.athlete_of[person]
                made_id = self.control.upload(strava_id, upload.start, upload.duration, name)
                self.activity_of[upload.index] = made_id
                self.uploads_of.setdefault(person, []).append(upload)
            elif kind is Kind.EDIT:
                self.control.rename(self.activity_of[upload.index], upload.versions[-1][1])
            else:
                self.control.delete(self.activity_of[upload.index])
            if self.strategy.webhooks:
                event = PushEvent.model_validate(self.inbox.take())
                self.attributed("webhook events", lambda: self.strategy.event(event))

    def _today(self) -> DayStats:
        return self.days[self.population.day_of(self.time.seconds())]

    def _account_view(self, person: int, shown: Shown) -> None:
        stats = self._today()
        stats.views += 1
        if shown.failed:
            stats.failed_views += 1
            if self.stop_when_failing:
                self.aborted = f"failed view on day {stats.day + 1}"
            return
        uploads = self.uploads_of.get(person, [])
        if not uploads:
            return
        activities = shown.activities
        if activities is None:
            ids = [self.activity_of[u.index] for u in uploads]
            with self.runtime.context.sessions() as session:
                activities = names_by_strava_id(session, ids)
        if is_stale(uploads, self.activity_of, activities, self.time.seconds()):
            stats.stale_views += 1
            limit = 0.01 * self.population.views_per_day[stats.day]
            if self.stop_when_failing and stats.stale_views >= limit:
                self.aborted = f"1 % of day {stats.day + 1}'s views stale"

    def _window_end(self) -> None:
        usage = self.control.usage()
        short, daily = read_usage(usage, CLIENT_ID)
        stats = self._today()
        stats.peak_15min = max(stats.peak_15min, short)
        stats.window_sum += short
        seconds_into_day = (self.time.seconds() - self.population.start) % DAY
        if seconds_into_day >= DAY - QUARTER or self.aborted is not None:
            stats.calls = daily
            stats.fitcoach_count, stats.rate_limited, stats.refused = self.counters.since_last()
            endpoints = {str(k): int(v) for k, v in usage.get("endpoints", {}).items()}
            stats.endpoints = endpoint_delta(endpoints, self.endpoints)
            self.endpoints = endpoints


def run_strategy(
    options: CapacityOptions,
    population: Population,
    strategy: type[Strategy],
    workdir: Path,
    stop_when_failing: bool = False,
) -> StrategyRun:
    return World(options, population, strategy, workdir, stop_when_failing).run()
