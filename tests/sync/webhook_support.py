"""An app whose webhook callback tests post to: its secret, its clock, what reached the
database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings
from fitcoach.models import WebhookEvent
from fitcoach.web.deps import Services
from tests.conftest import MovableClock, RecordingQueue, recording_app, services_of

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SUBSCRIPTION = 4242
SECRET = "callback-secret-for-tests"
CALLBACK = f"/webhooks/strava/{SECRET}"


@dataclass
class Callback:
    client: TestClient
    state: Services
    queue: RecordingQueue
    clock: MovableClock
    statements: list[str] = field(default_factory=list)

    def stored(self) -> int:
        with self.state.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)

    @contextmanager
    def no_database(self) -> Iterator[None]:
        """Fails if the block sends any statement to the database."""
        before = len(self.statements)
        yield
        assert self.statements[before:] == []


def event_body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "object_type": "activity",
        "object_id": 56,
        "aspect_type": "create",
        "updates": {},
        "owner_id": 7,
        "subscription_id": SUBSCRIPTION,
        "event_time": int(NOW.timestamp()),
    }
    return {**base, **changes}


@contextmanager
def callback_app(database_url: URL, **settings: Any) -> Iterator[Callback]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    engine.dispose()
    config = load_settings(
        **{
            "database_url": database_url.render_as_string(hide_password=False),
            "strava_webhook_verify_token": "let-me-in",
            "strava_webhook_callback_secret": SECRET,
            "strava_subscription_id": SUBSCRIPTION,
            **settings,
        }
    )
    clock = MovableClock(NOW)
    app, queue = recording_app(config, clock=clock)
    state = services_of(app)
    callback = Callback(TestClient(app), state, queue, clock)

    def seen(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        callback.statements.append(statement)

    event.listen(state.engine, "before_cursor_execute", seen)
    with callback.client:
        yield callback
    state.engine.dispose()
