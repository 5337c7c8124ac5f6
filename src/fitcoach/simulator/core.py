"""The simulator's parts wired together, and the operations that touch several of them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request

from .clock import SimClock
from .config import SimulatorConfig
from .faults import Faults
from .models import Activity, Athlete, Grant
from .ratelimit import RateLimiter
from .store import Store
from .streams import compute
from .tokens import authenticate
from .webhooks import Dispatcher, activity_event, deauthorization_event

STREAM_CACHE = 8


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
