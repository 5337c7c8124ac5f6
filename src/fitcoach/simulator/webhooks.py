"""Push-subscription callbacks: the validation handshake and event delivery with retries.

Deliveries run as background tasks on the server's event loop, so the request that caused
an event (a control-API edit, a deauthorization) returns before the callback is called.
Every attempt and its outcome is logged for tests and the capacity model to inspect.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .clock import SimClock
from .config import SimulatorConfig
from .faults import Faults


@dataclass
class Attempt:
    number: int
    at: float  # simulator clock
    status: int | None
    error: str | None
    elapsed_ms: float

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Delivery:
    id: int
    event: dict[str, Any]
    callback_url: str
    outcome: str = "pending"  # pending | held | delivered | failed | dropped
    note: str = ""
    attempts: list[Attempt] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "callback_url": self.callback_url,
            "outcome": self.outcome,
            "note": self.note,
            "attempts": [
                {
                    "number": a.number,
                    "at": a.at,
                    "status": a.status,
                    "error": a.error,
                    "elapsed_ms": round(a.elapsed_ms, 1),
                    "ok": a.ok,
                }
                for a in self.attempts
            ],
        }


class Dispatcher:
    def __init__(self, config: SimulatorConfig, clock: SimClock, faults: Faults) -> None:
        self.config = config
        self.clock = clock
        self.faults = faults
        self.log: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: list[Delivery] = []
        # Where callbacks are sent (None: the network); an in-process model passes the
        # callback's app here so that the handshake runs without a socket.
        self.transport: httpx.AsyncBaseTransport | None = None
        # One client per timeout, kept open: a client per attempt built a TLS context (tens
        # of milliseconds of CPU) on the only event loop, and a storm stalled the API.
        self._clients: dict[float, httpx.AsyncClient] = {}

    async def validate(self, callback_url: str, verify_token: str) -> str | None:
        """Strava's subscription handshake; returns why it failed, or None when it passed."""
        challenge = secrets.token_urlsafe(16)
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": verify_token,
        }
        try:
            async with httpx.AsyncClient(
                timeout=self.config.validation_timeout, transport=self.transport
            ) as client:
                response = await client.get(callback_url, params=params)
        except httpx.HTTPError as exc:
            return f"callback unreachable: {type(exc).__name__}"
        if response.status_code != 200:
            return f"callback answered {response.status_code}"
        try:
            body = response.json()
        except ValueError:
            return "callback did not answer JSON"
        if not isinstance(body, dict) or body.get("hub.challenge") != challenge:
            return "callback did not echo hub.challenge"
        return None

    def emit(self, event: dict[str, Any], callback_url: str) -> Delivery:
        """Queue an event for delivery; never waits for the callback."""
        delivery = Delivery(len(self.log) + 1, event, callback_url)
        self.log.append(delivery)
        rule = self.faults.for_webhook()
        kind = rule.kind if rule else None
        if kind == "webhook_drop":
            delivery.outcome, delivery.note = "dropped", f"fault {rule.id if rule else ''}"
            return delivery
        if kind == "webhook_reorder":
            delivery.outcome, delivery.note = "held", "reordered: sent after the next event"
            self._held.append(delivery)
            self._spawn(self._release_later(delivery))
            return delivery
        held, self._held = self._held, []
        self._spawn(self._deliver(delivery, then=held))
        if kind == "webhook_duplicate":
            twin = Delivery(
                len(self.log) + 1,
                dict(event),
                callback_url,
                note=f"duplicate of delivery {delivery.id}",
            )
            self.log.append(twin)
            self._spawn(self._deliver(twin))
        return delivery

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release_later(self, delivery: Delivery) -> None:
        await asyncio.sleep(self.config.reorder_hold)
        if delivery in self._held:
            self._held.remove(delivery)
            await self._deliver(delivery)

    async def _deliver(self, delivery: Delivery, then: list[Delivery] | None = None) -> None:
        delivery.outcome = "pending"
        for number in range(1, self.config.webhook_attempts + 1):
            attempt = await self._attempt(delivery, number)
            delivery.attempts.append(attempt)
            if attempt.ok:
                delivery.outcome = "delivered"
                break
            if number < self.config.webhook_attempts:
                if then:  # events held back for reordering go out behind this one's first try
                    for held in then:
                        self._spawn(self._deliver(held))
                    then = None
                await asyncio.sleep(self.config.webhook_retry_delay)
        else:
            delivery.outcome = "failed"
        for held in then or []:
            await self._deliver(held)

    async def _attempt(self, delivery: Delivery, number: int) -> Attempt:
        started = time.perf_counter()
        at = self.clock.now()
        try:
            client = self._clients.get(self.config.webhook_timeout)
            if client is None:
                client = httpx.AsyncClient(
                    timeout=self.config.webhook_timeout,
                    transport=self.transport,
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
                )
                self._clients[self.config.webhook_timeout] = client
            response = await client.post(delivery.callback_url, json=delivery.event)
            status: int | None = response.status_code
            error = None if status == 200 else f"status {status}"
        except httpx.HTTPError as exc:
            status, error = None, type(exc).__name__
        return Attempt(number, at, status, error, (time.perf_counter() - started) * 1000)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def wait(self, timeout: float) -> bool:
        """Wait until no delivery is in flight; False if `timeout` ran out first."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=left)
        return True

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def activity_event(
    aspect: str,
    activity_id: int,
    owner_id: int,
    subscription_id: int,
    now: float,
    updates: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "aspect_type": aspect,
        "event_time": int(now),
        "object_id": activity_id,
        "object_type": "activity",
        "owner_id": owner_id,
        "subscription_id": subscription_id,
        "updates": updates or {},
    }


def deauthorization_event(athlete_id: int, subscription_id: int, now: float) -> dict[str, Any]:
    return {
        "aspect_type": "update",
        "event_time": int(now),
        "object_id": athlete_id,
        "object_type": "athlete",
        "owner_id": athlete_id,
        "subscription_id": subscription_id,
        "updates": {"authorized": "false"},
    }
