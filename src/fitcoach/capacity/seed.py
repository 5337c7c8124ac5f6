"""The seed's designs (seed/scaling-strategy.md) as small adapters over fitcoach's parts.

They decide what the seed decides; every Strava call still goes through fitcoach's real
StravaClient and a Budget configured with the seed's limiter: per user 50 per 15 minutes
and 500 a day, globally the application's limits, no priorities (every share is 1).
Over a limit the seed's routes answer 500, so a view that needed Strava then fails.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fitcoach.activities.repository import delete_api_activity, upsert_api_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.capacity.options import CapacityOptions
from fitcoach.capacity.strategy import Runtime, Shown, Strategy
from fitcoach.core.db import transaction
from fitcoach.strava.budget import Limits, Priority, Shares
from fitcoach.strava.client import MAX_PER_PAGE
from fitcoach.strava.errors import NotFound, StravaError
from fitcoach.strava.models import SummaryActivity
from fitcoach.strava.repository import athlete_of_strava
from fitcoach.sync.repository import get_sync_state
from fitcoach.sync.webhooks.schemas import PushEvent

SEED_USER_SHORT, SEED_USER_LONG = 50, 500
SEED_CACHE = timedelta(minutes=5)
SEED_SYNC_EVERY = timedelta(hours=24)
# The current design's list call: Strava's default page (the seed passes no per_page).
CURRENT_PER_PAGE = 30


def seed_budget(options: CapacityOptions) -> tuple[Limits, Shares]:
    limits = Limits(
        short=options.short_limit,
        long=options.long_limit,
        read_short=options.read_short_limit,
        read_long=options.read_long_limit,
        athlete_short=SEED_USER_SHORT,
        athlete_long=SEED_USER_LONG,
    )
    return limits, Shares(1.0, 1.0, 1.0, 1.0)


class SeedCurrent(Strategy):
    """Every view fetches the athlete's activities, cached for five minutes; no database."""

    name = "seed-current"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.cache: dict[int, tuple[datetime, dict[int, str]]] = {}

    @classmethod
    def budget_policy(cls, options: CapacityOptions) -> tuple[Limits, Shares]:
        return seed_budget(options)

    def view(self, athlete_id: int) -> Shown:
        now = self.runtime.now()
        cached = self.cache.get(athlete_id)
        if cached is not None and now - cached[0] < SEED_CACHE:
            return Shown(False, cached[1])
        try:
            page = self.runtime.client.activities(
                self.runtime.context.token(athlete_id),
                priority=Priority.INTERACTIVE,
                athlete_id=athlete_id,
                per_page=CURRENT_PER_PAGE,
            )
        except StravaError:
            return Shown(True)
        shown = {activity.id: activity.name for activity in page}
        self.cache[athlete_id] = (now, shown)
        return Shown(False, shown)

    def press(self, athlete_id: int) -> str:
        # The current design has no refresh button: reloading is another (cached) view.
        return "failed" if self.view(athlete_id).failed else "done"


class _SeedDatabase(Strategy):
    """Phase 1's database: activities stored, sync status kept per athlete."""

    @classmethod
    def budget_policy(cls, options: CapacityOptions) -> tuple[Limits, Shares]:
        return seed_budget(options)

    def sync(self, athlete_id: int, incremental: bool) -> None:
        """One list call of up to 200 activities (the seed never pages), stored."""
        after = self._newest(athlete_id) if incremental else None
        page = self.runtime.client.activities(
            self.runtime.context.token(athlete_id),
            priority=Priority.INTERACTIVE,
            athlete_id=athlete_id,
            after=after,
            per_page=MAX_PER_PAGE,
        )
        self.store(athlete_id, page)
        with transaction(self.runtime.context.sessions) as session:
            state = get_sync_state(session, athlete_id)
            if state is not None:
                state.last_sync_at = self.runtime.now()
                if page:
                    newest = max(activity.start_date for activity in page)
                    if state.newest_activity_at is None or newest > state.newest_activity_at:
                        state.newest_activity_at = newest

    def store(self, athlete_id: int, activities: list[SummaryActivity]) -> None:
        rows = [row_from_strava(activity.raw, athlete_id) for activity in activities]
        with transaction(self.runtime.context.sessions) as session:
            upsert_api_activities(session, rows)

    def _newest(self, athlete_id: int) -> datetime | None:
        with self.runtime.context.sessions() as session:
            state = get_sync_state(session, athlete_id)
            return state.newest_activity_at if state else None

    def press(self, athlete_id: int) -> str:
        # Phase 1's POST /sync: the newest 200, whatever was synced before.
        try:
            self.sync(athlete_id, incremental=False)
        except StravaError:
            return "failed"
        return "done"


class SeedDaily(_SeedDatabase):
    """Phase 1: views from the database; the first view 24 h after the last sync syncs."""

    name = "seed-daily"

    def view(self, athlete_id: int) -> Shown:
        last = self.runtime.last_sync(athlete_id)
        if last is None or self.runtime.now() - last >= SEED_SYNC_EVERY:
            try:
                self.sync(athlete_id, incremental=True)
            except StravaError:
                return Shown(True)
        return Shown(False)


class SeedWebhooks(_SeedDatabase):
    """Phase 3: each create or update event fetches that activity at once; views from the DB.

    Polling is gone ("eliminate API polling entirely"); an athlete never synced still gets
    Phase 1's first sync on their first view, or they would have no history at all.
    """

    name = "seed-webhooks"
    webhooks = True

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.lost = 0  # events whose fetch the limiter refused: that change never arrives

    def view(self, athlete_id: int) -> Shown:
        if self.runtime.last_sync(athlete_id) is None:
            try:
                self.sync(athlete_id, incremental=False)
            except StravaError:
                return Shown(True)
        return Shown(False)

    def event(self, event: PushEvent) -> None:
        if event.object_type != "activity":
            return
        with self.runtime.context.sessions() as session:
            athlete_id = athlete_of_strava(session, event.owner_id)
        if athlete_id is None:
            return
        if event.aspect_type == "delete":
            with transaction(self.runtime.context.sessions) as session:
                delete_api_activity(session, athlete_id, event.object_id)
            return
        try:
            activity = self.runtime.client.activity(
                self.runtime.context.token(athlete_id),
                event.object_id,
                priority=Priority.WEBHOOK,
                athlete_id=athlete_id,
            )
        except NotFound:
            return
        except StravaError:
            self.lost += 1
            return
        self.store(athlete_id, [activity])
