"""The floor for bench/webhooks.py: an endpoint that only inserts the event row."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.sync.webhooks.schemas import PushEvent
from fitcoach.sync.webhooks.service import store_event


def create_app() -> Starlette:
    engine = make_engine(make_url(os.environ["DATABASE_URL"]))
    sessions = session_factory(engine)

    def insert(body: bytes) -> None:
        with transaction(sessions) as session:
            store_event(session, PushEvent.model_validate(json.loads(body)), datetime.now(UTC))

    async def receive(request: Request) -> JSONResponse:
        try:
            await run_in_threadpool(insert, await request.body())
        except (ValueError, ValidationError):  # the bench's readiness probe sends {}
            return JSONResponse({"error": "not a push event"}, status_code=400)
        return JSONResponse({"status": "received"})

    # The same address as fitcoach's callback (the secret is not checked here).
    return Starlette(routes=[Route("/webhooks/strava/{secret}", receive, methods=["POST"])])
