"""Strava's webhook callback: the validation handshake, and events acknowledged fast.

Strava signs nothing, so the callback's path carries a secret only Strava is given
(``PUBLIC_URL/webhooks/strava/<secret>``, ``fitcoach webhooks register``). A request
without it is answered as a missing page, before any body is read or the database is
touched, and an address that keeps trying is slowed down; Strava's deliveries carry the
secret and never are. The body is capped (16 KB, ``fitcoach.web.limits``) and bounded
field by field (``PushEvent``); an event for another subscription id is answered like
any other and dropped, so the answer tells nothing about the id.

The event is stored in the database before the 200 goes out, so a process killed after
the acknowledgement loses nothing; the work happens in a worker.
"""

from __future__ import annotations

import hmac
import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from fitcoach.core import metrics
from fitcoach.core.db import transaction
from fitcoach.sync.webhooks.errors import NoSubscription, NotAPushEvent, TooManyTries
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import Outcome, receive_event
from fitcoach.sync.webhooks.subscription import CALLBACK_PREFIX, ExpectedSubscription
from fitcoach.web.deps import AppServices, AppSettings, Now, Queue
from fitcoach.web.throttle import Throttle

router = APIRouter(prefix=CALLBACK_PREFIX, include_in_schema=False)
log = logging.getLogger("fitcoach.sync.webhooks")

# The largest body the callback reads (a real event is about 250 bytes).
MAX_EVENT_BYTES = 16 * 1024
# How far Strava's event_time may be from fitcoach's clock (Strava delivers in seconds
# and retries within minutes).
EVENT_TIME_SLACK = timedelta(days=1)
# Requests without the secret, per client address: a few at once, then one every 6 s.
REFUSED_BURST = 10
REFUSED_PER_MINUTE = 10.0
# SQLite has one writer: this process's deliveries take turns here, in order, rather
# than in SQLite's busy handler, whose sleeps (up to 100 ms each) made a burst's answers
# late together. PostgreSQL takes them side by side.
_SQLITE_WRITER = threading.Lock()


def _writer_turn(dialect: str) -> AbstractContextManager[object]:
    return _SQLITE_WRITER if dialect == "sqlite" else nullcontext()


@dataclass(frozen=True)
class CallbackGuard:
    """The secrets the callback's path may carry, and the limit on requests without one."""

    secrets: tuple[str, ...]
    throttle: Throttle

    def admit(self, offered: str, request: Request) -> None:
        """Return when the path carries a secret; else a 404 (a 429 once the client's
        address has spent its tries). Compared in constant time."""
        given = offered.encode("utf-8", "surrogateescape")
        if any(hmac.compare_digest(secret.encode(), given) for secret in self.secrets):
            return
        metrics.webhook_received("unknown", "unknown", "wrong_secret")
        address = request.client.host if request.client else "unknown"
        wait = self.throttle.take(address)
        if wait is not None:
            raise TooManyTries("Too many requests to an address that does not exist.", wait)
        raise HTTPException(404)


async def callback_guard(request: Request) -> CallbackGuard:
    """The app's guard (``create_app`` makes it)."""
    found: CallbackGuard = request.app.state.callback_guard
    return found


async def expected_subscription(request: Request) -> ExpectedSubscription:
    """The app's reader of the subscription events must name (``create_app`` makes it)."""
    found: ExpectedSubscription = request.app.state.expected_subscription
    return found


Guard = Annotated[CallbackGuard, Depends(callback_guard)]
Expected = Annotated[ExpectedSubscription, Depends(expected_subscription)]


@router.api_route("", methods=["GET", "POST"])
def without_secret(request: Request, guard: Guard) -> None:
    """The callback's old address, without a secret: a missing page like any other."""
    guard.admit("", request)


@router.get("/{secret}")
def validate_subscription(
    request: Request,
    secret: str,
    guard: Guard,
    settings: AppSettings,
    mode: Annotated[str, Query(alias="hub.mode", max_length=64)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=256)] = "",
    verify_token: Annotated[str, Query(alias="hub.verify_token", max_length=256)] = "",
) -> dict[str, str]:
    """Strava checks the callback when the subscription is created: echo the challenge."""
    guard.admit(secret, request)
    expected = settings.strava_webhook_verify_token
    if mode != "subscribe" or not challenge:
        raise HTTPException(400, "Expected hub.mode=subscribe and a hub.challenge.")
    if not (expected and hmac.compare_digest(expected.encode(), verify_token.encode())):
        raise HTTPException(403, "hub.verify_token does not match STRAVA_WEBHOOK_VERIFY_TOKEN.")
    return {"hub.challenge": challenge}


def parse_event(body: bytes, now: datetime) -> PushEvent:
    """The body as a push event within bounds, or NotAPushEvent naming what is wrong."""
    try:
        event = PushEvent.model_validate_json(body)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])[:80]
        raise NotAPushEvent(
            f"Not a Strava push event: {where + ': ' if where else ''}{first['msg']}"
        ) from None
    if abs(event.event_time - now.timestamp()) > EVENT_TIME_SLACK.total_seconds():
        raise NotAPushEvent("Not a Strava push event: event_time is more than a day from now.")
    return event


@router.post("/{secret}")
async def receive(
    request: Request,
    secret: str,
    guard: Guard,
    app: AppServices,
    queue: Queue,
    expected_id: Expected,
    now: Now,
) -> dict[str, str]:
    guard.admit(secret, request)
    try:
        event = parse_event(await request.body(), now)
    except NotAPushEvent:
        metrics.webhook_received("unknown", "unknown", "rejected")
        raise

    def store() -> tuple[Outcome | None, int | None]:
        # One trip through the thread pool for all of the request's blocking work: the
        # subscription id (read at most every 30 s), the insert, and the queueing.
        expected = expected_id()
        if expected is None:
            raise NoSubscription("No push subscription is registered yet.")
        if event.subscription_id != expected:
            return None, None
        with _writer_turn(app.engine.dialect.name), transaction(app.sessions) as session:
            received = receive_event(session, event, now)
        if received.event_id is not None:
            try:
                queue.handle_webhook_event(received.event_id)
            except Exception as error:  # the queue is down: the stored event is swept up later
                log.warning(
                    "event stored but not queued",
                    extra={"event_id": received.event_id, "error": str(error)},
                )
        return received.outcome, received.event_id

    try:
        outcome, _ = await run_in_threadpool(store)
    except NoSubscription:
        metrics.webhook_received(event.object_type, event.aspect_type, "rejected")
        raise
    if outcome is None:
        # Answered like an accepted event: the answer must not say which ids are right.
        metrics.webhook_received(event.object_type, event.aspect_type, "foreign")
        log.warning(
            "event for another push subscription: dropped",
            extra={"subscription_id": event.subscription_id},
        )
        return {"status": "received"}
    metrics.webhook_received(event.object_type, event.aspect_type, outcome.value)
    return {"status": "received"}
