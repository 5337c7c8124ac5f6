"""Everything the simulator knows: athletes, their activities, OAuth grants, the subscription.

Histories are generated lazily, on the first request that touches an athlete, so that a
simulator with fifty athletes and years of history starts at once. Generation is a pure
function of the athlete's recipe; edits made since are kept apart (`overrides`, `added`) so
that the state file stays small and a restart regenerates the same activities.
"""

from __future__ import annotations

import bisect
import random
from typing import Any

from .generator import generate_history, kind_for, make_athlete, new_athlete_ids
from .models import Activity, Athlete, AuthCode, Grant, Subscription

FIRST_ACTIVITY_ID = 10_000_000_000
BLOCK = 1_000_000  # ids reserved for one athlete's generated history
# Activities added while running take ids above every generated block: newest id is highest.
ADDED_BASE = 30_000_000_000


class Store:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.athletes: dict[int, Athlete] = {}
        self.overrides: dict[int, dict[str, Any]] = {}
        self.added: dict[int, Activity] = {}
        self.next_block = FIRST_ACTIVITY_ID
        self.next_added_id = ADDED_BASE
        self.grants: list[Grant] = []
        self.codes: dict[str, AuthCode] = {}
        self.subscription: Subscription | None = None
        self.next_subscription_id = 1
        self._histories: dict[int, list[Activity]] = {}
        self._starts: dict[int, list[int]] = {}
        self._by_id: dict[int, Activity] = {}
        self._token_index: dict[str, Grant] = {}

    # ---- athletes -------------------------------------------------------------------------

    def create_athletes(self, count: int, history_days: int, anchor: float) -> list[Athlete]:
        rng = random.Random(self.seed)
        ids = new_athlete_ids(self.seed, count, set(self.athletes))
        made = []
        before = len(self.athletes)
        for index, athlete_id in enumerate(ids):
            kind = kind_for(before + index, rng)
            seed = self.seed * 1_000_003 + before + index
            made.append(self.add_athlete(athlete_id, kind, seed, history_days, anchor))
        return made

    def add_athlete(
        self, athlete_id: int, kind: str, seed: int, history_days: int, anchor: float
    ) -> Athlete:
        athlete = make_athlete(athlete_id, kind, seed, history_days, anchor, self.next_block)
        self.next_block += BLOCK
        self.athletes[athlete.id] = athlete
        return athlete

    def fresh_athlete_id(self, seed: int) -> int:
        return new_athlete_ids(seed, 1, set(self.athletes))[0]

    # ---- activities -----------------------------------------------------------------------

    def history(self, athlete_id: int) -> list[Activity]:
        """The athlete's activities (deleted ones included), oldest first."""
        history = self._histories.get(athlete_id)
        if history is None:
            history = self._materialize(athlete_id)
        return history

    def _materialize(self, athlete_id: int) -> list[Activity]:
        athlete = self.athletes[athlete_id]
        history = generate_history(athlete)
        for act in history:
            changes = self.overrides.get(act.id)
            if changes:
                for key, value in changes.items():
                    setattr(act, key, value)
        history.extend(a for a in self.added.values() if a.athlete_id == athlete_id)
        history.sort(key=lambda a: (a.start, a.id))
        self._histories[athlete_id] = history
        self._starts[athlete_id] = [a.start for a in history]
        for act in history:
            self._by_id[act.id] = act
        return history

    def activity(self, activity_id: int) -> Activity | None:
        found = self._by_id.get(activity_id)
        if found is not None:
            return found
        added = self.added.get(activity_id)
        if added is not None:  # restored from the state file, owner not generated yet
            self.history(added.athlete_id)
            return self._by_id.get(activity_id)
        for athlete in self.athletes.values():
            if athlete.id_base <= activity_id < athlete.id_base + BLOCK:
                if athlete.id not in self._histories:
                    self._materialize(athlete.id)
                return self._by_id.get(activity_id)
        return None

    def window(self, athlete_id: int, after: int | None, before: int | None) -> list[Activity]:
        """Activities that started strictly between `after` and `before`, oldest first."""
        history = self.history(athlete_id)
        starts = self._starts[athlete_id]
        lo = 0 if after is None else bisect.bisect_right(starts, after)
        hi = len(history) if before is None else bisect.bisect_left(starts, before)
        return history[lo:hi]

    def add_activity(self, act: Activity) -> Activity:
        self.history(act.athlete_id)
        if act.id <= 0 or act.id in self._by_id:
            act.id = self.allocate_id()
        else:
            self.next_added_id = max(self.next_added_id, act.id + 1)
        self.added[act.id] = act
        history = self._histories[act.athlete_id]
        starts = self._starts[act.athlete_id]
        at = bisect.bisect_right(starts, act.start)
        history.insert(at, act)
        starts.insert(at, act.start)
        self._by_id[act.id] = act
        return act

    def allocate_id(self) -> int:
        self.next_added_id += 1 + (self.next_added_id * 7919) % 13
        return self.next_added_id

    def edit_activity(self, act: Activity, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply `changes`; returns only the fields whose value actually changed."""
        changed = {k: v for k, v in changes.items() if getattr(act, k) != v}
        for key, value in changed.items():
            setattr(act, key, value)
        if changed and act.id not in self.added:
            self.overrides.setdefault(act.id, {}).update(changed)
        return changed

    # ---- OAuth grants -----------------------------------------------------------------------

    def add_grant(self, grant: Grant) -> None:
        self.grants.append(grant)
        self.index_grant(grant)

    def index_grant(self, grant: Grant) -> None:
        self._token_index[grant.access_token] = grant
        self._token_index[grant.refresh_token] = grant
        for token in grant.older_access_tokens:
            self._token_index[token] = grant
        if grant.previous_refresh_token:
            self._token_index[grant.previous_refresh_token] = grant

    def grant_for(self, token: str) -> Grant | None:
        return self._token_index.get(token)

    def live_grants(self, athlete_id: int, client_id: str) -> list[Grant]:
        return [
            g
            for g in self.grants
            if g.athlete_id == athlete_id and g.client_id == client_id and not g.revoked
        ]

    # ---- persistence ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "athletes": [a.to_dict() for a in self.athletes.values()],
            "overrides": {str(k): v for k, v in self.overrides.items()},
            "added": [a.to_dict() for a in self.added.values()],
            "next_block": self.next_block,
            "next_added_id": self.next_added_id,
            "grants": [g.to_dict() for g in self.grants],
            "subscription": self.subscription.to_dict() if self.subscription else None,
            "next_subscription_id": self.next_subscription_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Store:
        store = cls(int(data["seed"]))
        for raw in data.get("athletes", []):
            athlete = Athlete.from_dict(raw)
            store.athletes[athlete.id] = athlete
        store.overrides = {int(k): v for k, v in data.get("overrides", {}).items()}
        store.added = {a["id"]: Activity.from_dict(a) for a in data.get("added", [])}
        store.next_block = int(data.get("next_block", FIRST_ACTIVITY_ID))
        store.next_added_id = int(data.get("next_added_id", ADDED_BASE))
        for raw in data.get("grants", []):
            store.add_grant(Grant.from_dict(raw))
        sub = data.get("subscription")
        store.subscription = Subscription(**sub) if sub else None
        store.next_subscription_id = int(data.get("next_subscription_id", 1))
        return store
