"""Strava's webhook callback: the validation handshake, and events acknowledged fast.

The event is stored in the database before the 200 goes out, so a process killed after
the acknowledgement loses nothing; the work happens in a worker.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from fitcoach.core import metrics
from fitcoach.core.db import transaction
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import store_event
from fitcoach.sync.webhooks.subscription import ExpectedSubscription
from fitcoach.web.deps import AppServices, AppSettings, Queue

router = APIRouter(prefix="/webhooks/strava")
log = logging.getLogger("fitcoach.sync.webhooks")


def expected_subscription(request: Request) -> ExpectedSubscription:
    """The app's reader of the subscription events must name (``create_app`` makes it)."""
    found: ExpectedSubscription = request.app.state.expected_subscription
    return found


Expected = Annotated[ExpectedSubscription, Depends(expected_subscription)]


@router.get("")
def validate_subscription(
    settings: AppSettings,
    mode: Annotated[str, Query(alias="hub.mode")] = "",
    challenge: Annotated[str, Query(alias="hub.challenge")] = "",
    verify_token: Annotated[str, Query(alias="hub.verify_token")] = "",
) -> dict[str, str]:
    """Strava checks the callback when the subscription is created: echo the challenge."""
    expected = settings.strava_webhook_verify_token
    if mode != "subscribe" or not challenge:
        raise HTTPException(400, "Expected hub.mode=subscribe and a hub.challenge.")
    if not (expected and hmac.compare_digest(expected, verify_token)):
        raise HTTPException(403, "hub.verify_token does not match STRAVA_WEBHOOK_VERIFY_TOKEN.")
    return {"hub.challenge": challenge}


@router.post("")
async def receive_event(
    request: Request, app: AppServices, queue: Queue, expected_id: Expected
) -> dict[str, str]:
    try:
        event = PushEvent.model_validate_json(await request.body())
    except ValidationError as error:
        metrics.webhook_received("unknown", "unknown", "rejected")
        raise HTTPException(400, f"Not a Strava push event: {error.errors()[0]['msg']}") from error
    expected = await run_in_threadpool(expected_id)
    if expected is None:
        metrics.webhook_received(event.object_type, event.aspect_type, "rejected")
        raise HTTPException(
            403, "No push subscription is registered: `fitcoach webhooks register`."
        )
    if event.subscription_id != expected:
        metrics.webhook_received(event.object_type, event.aspect_type, "rejected")
        raise HTTPException(403, "The event is for another push subscription.")

    def store() -> int | None:
        with transaction(app.sessions) as session:
            return store_event(session, event, app.clock())

    event_id = await run_in_threadpool(store)
    outcome = "duplicate" if event_id is None else "stored"
    metrics.webhook_received(event.object_type, event.aspect_type, outcome)
    if event_id is not None:
        try:
            queue.handle_webhook_event(event_id)
        except Exception as error:  # the queue is down: the stored event is swept up later
            log.warning(
                "event stored but not queued", extra={"event_id": event_id, "error": str(error)}
            )
    return {"status": "received"}
