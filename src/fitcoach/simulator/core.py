"""The simulator's parts wired together, and the operations that touch several of them."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request

from .clock import SimClock
from .config import SimulatorConfig
from .faults import Faults
from .models import ACTIVITY_TYPE, Activity, Athlete, Grant
from .places import place_by_tz, utc_offset
from .ratelimit import RateLimiter
from .store import Store
from .streams import compute
from .summaries import build
from .tokens import authenticate, exchange_code, issue_code, token_response
from .webhooks import Dispatcher, activity_event, deauthorization_event
from .workouts import WORKOUTS

STREAM_CACHE = 8
DEFAULT_WORKOUT = {
    "cyclist": "ride_endurance",
    "runner": "run_easy",
    "triathlete": "swim_endurance",
}


class ControlError(Exception):
    """A control operation that cannot be done: `status` is the HTTP answer it gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Simulator:
    def __init__(self, config: SimulatorConfig, store: Store | None = None) -> None:
        self.config = config
        self.clock = SimClock(config.clock)
        self.limiter = RateLimiter(
            config.short_limit, config.long_limit, config.read_short_limit, config.read_long_limit
        )
        self.faults = Faults(config.seed)
        self.webhooks = Dispatcher(config, self.clock, self.faults)
        if store is None:
            store = Store(config.seed)
            store.create_athletes(config.athletes, config.history_days, self.clock.now())
        self.store = store
        self._streams: OrderedDict[int, dict[str, list[Any]]] = OrderedDict()
        # Called after every change worth persisting (the state file registers here).
        self.on_change: list[Callable[[], None]] = []

    def now(self) -> float:
        return self.clock.now()

    def changed(self) -> None:
        """Something worth persisting happened."""
        for callback in self.on_change:
            callback()

    # ---- auth -------------------------------------------------------------------------------

    def bearer(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def grant(self, request: Request) -> Grant | None:
        token = self.bearer(request)
        return authenticate(self.store, token, self.now()) if token else None

    def client_for(self, token: str | None, client_id: str | None) -> str:
        """The application a request counts against (Strava's limits are per application)."""
        if token:
            grant = self.store.grant_for(token)
            if grant is not None:
                return grant.client_id
        return client_id or self.config.client_id

    # ---- data -------------------------------------------------------------------------------

    def athlete(self, athlete_id: int) -> Athlete | None:
        return self.store.athletes.get(athlete_id)

    def streams(self, act: Activity) -> dict[str, list[Any]]:
        cached = self._streams.get(act.id)
        if cached is None:
            cached = compute(act, self.store.athletes[act.athlete_id])
            self._streams[act.id] = cached
            while len(self._streams) > STREAM_CACHE:
                self._streams.popitem(last=False)
        else:
            self._streams.move_to_end(act.id)
        return cached

    def forget_streams(self, activity_id: int) -> None:
        self._streams.pop(activity_id, None)

    # ---- the control API's operations (routes under /_sim call these) ---------------------

    def new_athlete(self, kind: str, history_days: int | None, seed: int | None) -> Athlete:
        if seed is None:
            seed = self.config.seed * 1_000_003 + len(self.store.athletes)
        days = history_days if history_days is not None else self.config.history_days
        athlete = self.store.add_athlete(
            self.store.fresh_athlete_id(seed), kind, seed, days, self.now()
        )
        self.changed()
        return athlete

    def mint_token(self, athlete_id: int, scopes: list[str]) -> dict[str, Any]:
        """Tokens without the browser dance, for tests and the capacity model."""
        code = issue_code(
            self.store,
            athlete_id,
            self.config.client_id,
            scopes,
            "",
            self.now(),
            self.config.authorization_code_lifetime,
        )
        grant = exchange_code(self.store, self.config, self.config.client_id, code.code, self.now())
        self.changed()
        return {**token_response(grant, self.now()), "scope": ",".join(scopes)}

    def upload_generated(
        self,
        athlete: Athlete,
        *,
        workout: str | None = None,
        start: int | None = None,
        duration: int = 3600,
        seed: int | None = None,
        name: str | None = None,
        private: bool = False,
    ) -> Activity:
        """A generated activity uploaded now (a create event goes out)."""
        workout = workout or DEFAULT_WORKOUT[athlete.kind]
        if workout not in WORKOUTS:
            raise ControlError(422, f"workout must be one of {', '.join(WORKOUTS)}")
        if seed is None:
            seed = self.store.next_added_id * 31 + self.config.seed
        if start is None:
            start = int(self.now()) - duration - 60
        place = place_by_tz(athlete.tz)
        offset = utc_offset(place, start)
        month = time.gmtime(start + offset).tm_mon
        act = build(athlete, workout, start, duration, seed, 0, offset, month, private)
        if name is not None:
            act.name = name
        return self.upload(act)

    def upload(self, act: Activity) -> Activity:
        act = self.store.add_activity(act)
        self.notify_activity(act, "create")
        self.changed()
        return act

    def edit(self, act: Activity, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Change an activity; (fields changed, the update event's `updates`)."""
        if act.deleted:
            raise ControlError(404, f"activity {act.id} is deleted")
        sport = changes.get("sport_type")
        if sport is not None and sport not in ACTIVITY_TYPE:
            raise ControlError(422, f"sport_type must be one of {', '.join(ACTIVITY_TYPE)}")
        before_type = act.type
        changed = self.store.edit_activity(act, changes)
        updates: dict[str, str] = {}
        if "name" in changed:
            updates["title"] = act.name
        if "sport_type" in changed and act.type != before_type:
            updates["type"] = act.type
        if "private" in changed:
            updates["private"] = "true" if act.private else "false"
        if updates:  # only title, type and privacy changes produce events, as on Strava
            self.notify_activity(act, "update", updates)
        if changed:
            self.changed()
        return changed, updates

    def delete(self, act: Activity) -> None:
        if not act.deleted:
            self.store.edit_activity(act, {"deleted": True})
            self.notify_activity(act, "delete")
            self.forget_streams(act.id)
            self.changed()

    # ---- webhooks ---------------------------------------------------------------------------

    def _subscribed_grant(self, athlete_id: int) -> tuple[int, str, Grant] | None:
        sub = self.store.subscription
        if sub is None:
            return None
        grants = self.store.live_grants(athlete_id, sub.client_id)
        if not grants:
            return None
        return sub.id, sub.callback_url, grants[-1]

    def notify_activity(
        self, act: Activity, aspect: str, updates: dict[str, str] | None = None
    ) -> None:
        """Send the event Strava would send to the subscribed application, if any."""
        target = self._subscribed_grant(act.athlete_id)
        if target is None:
            return
        sub_id, url, grant = target
        privacy_change = updates is not None and "private" in updates
        # Private activities, and changes of privacy, reach only apps with activity:read_all.
        if (act.private or privacy_change) and "activity:read_all" not in grant.scopes:
            return
        self.webhooks.emit(
            activity_event(aspect, act.id, act.athlete_id, sub_id, self.now(), updates), url
        )

    def notify_deauthorized(self, athlete_id: int, client_id: str) -> None:
        sub = self.store.subscription
        if sub is None or sub.client_id != client_id:
            return
        self.webhooks.emit(deauthorization_event(athlete_id, sub.id, self.now()), sub.callback_url)


async def get_sim(request: Request) -> Simulator:
    # A coroutine, so that FastAPI resolves it on the event loop: a plain function
    # dependency is run in a worker thread, a thread hop on every request.
    sim: Simulator = request.app.state.sim
    return sim
