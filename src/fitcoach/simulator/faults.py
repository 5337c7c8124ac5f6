"""Switchable misbehaviour: server errors, slowness, broken bodies, early 429s, lost webhooks.

A rule applies to the next `count` matching requests (or all of them), each with
`probability`, drawn from a generator seeded by the simulator's seed and the rule's id so
that a test run replays the same faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

API_KINDS = (
    "server_error",
    "unavailable",
    "slow",
    "timeout",
    "malformed_json",
    "truncated",
    "rate_limited",
)
WEBHOOK_KINDS = ("webhook_drop", "webhook_duplicate", "webhook_reorder")


class FaultError(ValueError):
    """A fault specification the simulator cannot apply; the message says which field."""


@dataclass
class FaultRule:
    id: int
    kind: str
    count: int | None = None  # matches left; None: no end
    probability: float = 1.0
    path: str = "/api/v3"  # applies to request paths starting with this
    method: str | None = None
    delay: float = 0.0  # seconds, for "slow" and "timeout"
    retry_after: int = 30  # seconds, for "unavailable"
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def active(self) -> bool:
        return self.count is None or self.count > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "count": self.count,
            "probability": self.probability,
            "path": self.path,
            "method": self.method,
            "delay": self.delay,
            "retry_after": self.retry_after,
            "fired": self.fired,
            "active": self.active,
        }


class Faults:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, spec: dict[str, Any]) -> FaultRule:
        kind = spec.get("kind")
        if kind not in API_KINDS + WEBHOOK_KINDS:
            raise FaultError(f"kind must be one of {', '.join(API_KINDS + WEBHOOK_KINDS)}")
        count = spec.get("count")
        probability = float(spec.get("probability", 1.0))
        if count is not None and (not isinstance(count, int) or count < 1):
            raise FaultError("count must be a positive integer or null")
        if not 0.0 <= probability <= 1.0:
            raise FaultError("probability must be between 0 and 1")
        delay = float(spec.get("delay", 30.0 if kind == "timeout" else 0.0))
        if delay < 0:
            raise FaultError("delay must not be negative")
        method = spec.get("method")
        rule = FaultRule(
            id=self._next_id,
            kind=kind,
            count=count,
            probability=probability,
            path=str(spec.get("path", "/api/v3")),
            method=method.upper() if method else None,
            delay=delay,
            retry_after=int(spec.get("retry_after", 30)),
            rng=random.Random(f"{self.seed}:{self._next_id}"),
        )
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules.clear()

    def _fire(self, rule: FaultRule) -> bool:
        if not rule.active:
            return False
        if rule.probability < 1.0 and rule.rng.random() >= rule.probability:
            return False
        rule.fired += 1
        if rule.count is not None:
            rule.count -= 1
        return True

    def for_request(self, method: str, path: str) -> FaultRule | None:
        for rule in self.rules:
            if rule.kind not in API_KINDS or not path.startswith(rule.path):
                continue
            if rule.method is not None and rule.method != method:
                continue
            if self._fire(rule):
                return rule
        return None

    def for_webhook(self) -> FaultRule | None:
        for rule in self.rules:
            if rule.kind in WEBHOOK_KINDS and self._fire(rule):
                return rule
        return None
