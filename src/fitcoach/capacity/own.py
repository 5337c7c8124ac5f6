"""fitcoach's own policy, run through fitcoach's own sync code.

The web app and the worker decide *when* to call into `fitcoach.sync`; this adapter
makes the same decisions at the same moments, with the run loop standing in for the task
queue: a page view calls `refresh_for_view` (one list call if dirty and the budget lets
a person through); a push event is stored and handled by `store_event`/`process_event`,
and a dirty athlete gets the worker's follow-up sync after `COALESCE_S`; a new athlete's
history is backfilled page by page at backfill priority, re-queued for when the budget
says; daily syncs run in each athlete's quarter-hour slot; a manual refresh is refused
within a minute of the last sync, as the web API does. The constants below mirror
`fitcoach.worker` and `fitcoach.web.api` (a test checks they still agree): importing the
worker here would open its task queue.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from fitcoach.capacity.options import CapacityOptions
from fitcoach.capacity.strategy import Shown, Strategy
from fitcoach.monitoring.metrics import sync_kind
from fitcoach.store.engine import transaction
from fitcoach.store.models import Athlete, SyncState
from fitcoach.strava.access import AthleteDisconnected
from fitcoach.strava.budget import Limits, Priority, Shares
from fitcoach.strava.errors import BudgetExhausted, RateLimited, StravaError
from fitcoach.sync.activities import backfill_page, incremental_sync, is_dirty, record_failure
from fitcoach.sync.freshness import refresh_for_view
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.webhooks import PushEvent, process_event, store_event

COALESCE_S = 60  # worker.COALESCE_S: the follow-up sync after a webhook marks dirty
DAILY_SLOTS = 96  # worker.DAILY_SLOTS
DAILY_STALE = timedelta(hours=23)  # worker.due_for_daily_sync
MANUAL_REFRESH_INTERVAL = timedelta(seconds=60)  # web.api.MANUAL_REFRESH_INTERVAL
BACKFILL_ERROR_DELAY_S = 300  # worker.backfill after a Strava error
EVENT_RETRIES, EVENT_RETRY_DELAY_S = 5, 30  # worker.handle_webhook_event's task options
# A queued task runs a moment after the one that queued it, not at the same instant.
TASK_GAP_S = 1.0
# What the calls of each kind of task are reported as.
BACKFILL, EVENTS = "backfill", "webhook events"
CAUSES = {Priority.WEBHOOK: "webhook follow-ups", Priority.SCHEDULED: "daily syncs"}


class Fitcoach(Strategy):
    name = "fitcoach"
    webhooks = True

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
        last = self.runtime.last_sync(athlete_id)
        if last is not None and self.runtime.now() - last < MANUAL_REFRESH_INTERVAL:
            return "limited"
        with sync_kind("manual"):
            outcome = manual_sync(self.runtime.context, athlete_id)
        return str(outcome["status"])

    def event(self, event: PushEvent) -> None:
        # web.webhooks.receive_event stores it; the worker handles it at once.
        with transaction(self.runtime.context.sessions) as session:
            event_id = store_event(session, event, self.runtime.now())
        if event_id is not None:
            self.handle_event(event_id, 0)

    # The worker -----------------------------------------------------------------------

    def handle_event(self, event_id: int, retries: int) -> None:
        try:
            dirty = process_event(self.runtime.context, event_id)
        except StravaError:
            if retries < EVENT_RETRIES:
                self.runtime.later(
                    EVENT_RETRY_DELAY_S, lambda: self.handle_event(event_id, retries + 1), EVENTS
                )
            return
        if dirty is not None:
            self.runtime.later(
                COALESCE_S,
                lambda: self.sync_athlete(dirty, Priority.WEBHOOK, only_if_dirty=True),
                CAUSES[Priority.WEBHOOK],
            )

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

    def sync_athlete(self, athlete_id: int, priority: int, only_if_dirty: bool = False) -> None:
        context = self.runtime.context
        if only_if_dirty and not is_dirty(context, athlete_id):
            return  # a page view or an earlier task already fetched the news
        try:
            incremental_sync(context, athlete_id, priority)
        except (BudgetExhausted, RateLimited) as refusal:
            self.runtime.at(
                refusal.retry_at,
                lambda: self.sync_athlete(athlete_id, priority, only_if_dirty),
                CAUSES[Priority(priority)],
            )
        except AthleteDisconnected:
            return
        except StravaError as error:
            record_failure(context, athlete_id, error)

    def quarter_hour(self) -> None:
        for athlete_id in self.due_for_daily_sync():
            self.sync_athlete(athlete_id, Priority.SCHEDULED)

    def due_for_daily_sync(self) -> list[int]:
        """worker.due_for_daily_sync at the simulated time (the worker's reads the wall clock)."""
        now = self.runtime.now()
        slot = (now.hour * 60 + now.minute) // 15
        stale = now - DAILY_STALE
        with self.runtime.context.sessions() as session:
            query = (
                select(Athlete.id)
                .join(SyncState, SyncState.athlete_id == Athlete.id)
                .where(Athlete.connected.is_(True))
                .where(or_(SyncState.last_sync_at.is_(None), SyncState.last_sync_at < stale))
            )
            return [a for a in session.scalars(query) if a % DAILY_SLOTS == slot]
