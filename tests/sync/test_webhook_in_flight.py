"""Webhook deliveries beyond WEBHOOK_MAX_IN_FLIGHT are refused at once (503, Retry-After)
before their body is read or the database is touched; those admitted are stored."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import URL

from tests.sync.webhook_support import CALLBACK, callback_app, event_body


class Delivery:
    """One POST to the callback through the ASGI app, its body held back until released."""

    def __init__(self, body: dict[str, Any], path: str = CALLBACK) -> None:
        self.body = json.dumps(body).encode()
        self.release = asyncio.Event()
        self.read = False
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(self.body)).encode()),
            ],
            "client": ("198.51.100.7", 4000),
            "server": ("testserver", 80),
        }

    async def receive(self) -> dict[str, Any]:
        await self.release.wait()
        self.read = True
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = dict(message["headers"])


def test_deliveries_beyond_the_cap_are_refused_at_once_and_touch_no_database(
    sqlite_url: URL,
) -> None:
    with callback_app(sqlite_url, webhook_max_in_flight=2) as callback:
        app = callback.client.app

        async def flood() -> list[Delivery]:
            held = [Delivery(event_body(object_id=100 + i)) for i in range(2)]
            running = [asyncio.create_task(app(d.scope, d.receive, d.send)) for d in held]
            await asyncio.sleep(0.05)  # both admitted, waiting for their bodies
            beyond = Delivery(event_body(object_id=200))
            beyond.release.set()
            # A guess at the secret takes no place: the router answers it, not the cap.
            guess = Delivery(event_body(object_id=201), path=CALLBACK + "-guess")
            guess.release.set()
            with callback.no_database():
                await asyncio.wait_for(app(beyond.scope, beyond.receive, beyond.send), 1)
                await asyncio.wait_for(app(guess.scope, guess.receive, guess.send), 1)
            assert guess.status == 404
            for delivery in held:
                delivery.release.set()
            await asyncio.gather(*running)
            after = Delivery(event_body(object_id=300))  # the flood is over: admitted again
            after.release.set()
            await app(after.scope, after.receive, after.send)
            return [*held, beyond, after]

        # In a thread of its own: a browser test's session-wide Playwright driver may hold
        # this thread's event loop, where asyncio.run refuses to start.
        with ThreadPoolExecutor(1) as thread:
            first, second, beyond, after = thread.submit(asyncio.run, flood()).result()
        assert (beyond.status, beyond.read) == (503, False)
        assert beyond.headers[b"retry-after"] == b"5"
        assert [first.status, second.status, after.status] == [200, 200, 200]
        assert callback.stored() == 3
