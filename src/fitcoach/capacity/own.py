"""fitcoach's own policy, run through fitcoach's own sync code.

The web app and the worker decide *when* to call into `fitcoach.sync`; this adapter
makes the same decisions at the same moments, with the run loop standing in for the task
queue: a page view calls `refresh_for_view` (one list call if dirty and the budget lets
a person through); a push event is stored and handled by `store_event`/`process_event`
(it marks the athlete dirty, nothing more); a new athlete's history is backfilled page by
page at backfill priority, re-queued for when the budget says; every quarter hour the
athletes `sync.schedule.due_for_daily_sync` names get a scheduled sync; a refresh press
is refused within a minute of the last sync and asks Strava directly only when pressed
again within `ASK_AGAIN_WITHIN`, as the web API does. The web API's constants are
imported, as are the retry delays the worker's tasks use (importing the tasks themselves
here would open the task queue).
"""

from __future__ import annotations

from datetime import datetime

from fitcoach.capacity.options import CapacityOptions
from fitcoach.capacity.strategy import Runtime, Shown, Strategy
from fitcoach.core.db import transaction
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Limits, Priority, Shares
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.sync.activities import (
    BACKFILL_RETRY_AFTER,
    backfill_page,
    incremental_sync,
    record_failure,
)
from fitcoach.sync.freshness import refresh_for_view
from fitcoach.sync.instrumentation import sync_kind
from fitcoach.sync.manual import ASK_AGAIN_WITHIN, MANUAL_REFRESH_INTERVAL, manual_sync
from fitcoach.sync.schedule import due_for_daily_sync
from fitcoach.sync.upgrades import upgrade_streams
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import (
    handle_event,
    store_event,
)

BACKFILL_ERROR_DELAY_S = BACKFILL_RETRY_AFTER.total_seconds()
# A queued task runs a moment after the one that queued it, not at the same instant.
TASK_GAP_S = 1.0
# What the calls of each kind of task are reported as.
BACKFILL, EVENTS = "backfill", "webhook events"
DAILY = "daily syncs"
UPGRADES = "stream upgrades"
# The worker's stream-upgrade pass runs 5 minutes into each quarter hour (sync.tasks).
UPGRADE_OFFSET_S = 300.0


class Fitcoach(Strategy):
    name = "fitcoach"
    webhooks = True

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.pressed_at: dict[int, datetime] = {}
        self.upgraded = 0  # loads computed from streams fetched in spare budget

    @classmethod
    def budget_policy(cls, options: CapacityOptions) -> tuple[Limits, Shares]:
        limits = Limits(
            short=options.short_limit,
            long=options.long_limit,
            read_short=options.read_short_limit,
            read_long=options.read_long_limit,
        )
        return limits, Shares()

    # The web app ----------------------------------------------------------------------

    def joined(self, athlete_id: int) -> None:
        # web.auth's on_connect hook queues the backfill.
        self.runtime.later(TASK_GAP_S, lambda: self.backfill(athlete_id), BACKFILL)

    def view(self, athlete_id: int) -> Shown:
        freshness = refresh_for_view(self.runtime.context, athlete_id)
        # Never synced: the dashboard can show none of the athlete's data yet.
        return Shown(freshness.last_sync_at is None)

    def press(self, athlete_id: int) -> str:
        now = self.runtime.now()
        last = self.runtime.last_sync(athlete_id)
        if last is not None and now - last < MANUAL_REFRESH_INTERVAL:
            return "limited"
        # The web API keeps the previous press in the person's session.
        pressed_before = self.pressed_at.get(athlete_id)
        ask_strava = pressed_before is not None and now - pressed_before < ASK_AGAIN_WITHIN
        self.pressed_at[athlete_id] = now
        with sync_kind("manual"):
            outcome = manual_sync(self.runtime.context, athlete_id, ask_strava)
        if outcome["status"] == "done" and not outcome["asked_strava"]:
            return "no news"
        return str(outcome["status"])

    def event(self, event: PushEvent) -> None:
        # web.webhooks.receive_event stores it; the worker handles it at once.
        with transaction(self.runtime.context.sessions) as session:
            event_id = store_event(session, event, self.runtime.now())
        if event_id is not None:
            self.handle_event(event_id, 0)

    # The worker -----------------------------------------------------------------------

    def handle_event(self, event_id: int, attempt: int) -> None:
        # webhooks.tasks.handle_webhook_event: the service says when to try again.
        step = handle_event(self.runtime.context, event_id, attempt)
        if step.at is not None:
            self.runtime.at(step.at, lambda: self.handle_event(event_id, step.attempt), EVENTS)

    def backfill(self, athlete_id: int) -> None:
        context = self.runtime.context
        try:
            result = backfill_page(context, athlete_id, Priority.BACKFILL)
        except (BudgetExhausted, RateLimited) as refusal:
            self.runtime.at(refusal.retry_at, lambda: self.backfill(athlete_id), BACKFILL)
            return
        except AthleteDisconnected:
            return
        except StravaError as error:
            record_failure(context, athlete_id, error)
            self.runtime.later(BACKFILL_ERROR_DELAY_S, lambda: self.backfill(athlete_id), BACKFILL)
            return
        if result.more:
            self.runtime.later(TASK_GAP_S, lambda: self.backfill(athlete_id), BACKFILL)

    def daily_sync(self, athlete_id: int) -> None:
        context = self.runtime.context
        try:
            incremental_sync(context, athlete_id, Priority.SCHEDULED)
        except (BudgetExhausted, RateLimited) as refusal:
            self.runtime.at(refusal.retry_at, lambda: self.daily_sync(athlete_id), DAILY)
        except AthleteDisconnected:
            return
        except StravaError as error:
            record_failure(context, athlete_id, error)

    def quarter_hour(self) -> None:
        # worker.daily_sync, at the simulated time.
        for athlete_id in due_for_daily_sync(self.runtime.context.sessions, self.runtime.now()):
            self.daily_sync(athlete_id)
        if self.runtime.options.stream_upgrades:
            self.runtime.later(UPGRADE_OFFSET_S, self.stream_upgrades, UPGRADES)

    def stream_upgrades(self) -> None:
        # worker.stream_upgrades, at the simulated time.
        self.upgraded += upgrade_streams(self.runtime.context, self.runtime.now()).upgraded
