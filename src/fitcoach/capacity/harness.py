"""The simulated world's plumbing: one clock for everyone, the simulator in-process.

fitcoach's real StravaClient sends its requests through httpx to the simulator's ASGI
app, in this thread (`InProcess`): the same requests and responses as over HTTP, without
a socket. Its push events are taken from its dispatcher as it emits them, the very
bodies it would POST, and the run loop hands each to the strategy at the event's
simulated time: events are handled in order and nothing races the clock. (A real POST
per event cost about 0.2 s of wall time on a loaded 2-core machine and carries nothing
the model measures; the subscription's validation handshake still goes through httpx to
the callback served here.)
"""

from __future__ import annotations

import asyncio
import queue
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message

from fitcoach.capacity.options import CapacityError
from fitcoach.simulator.core import Simulator
from fitcoach.simulator.models import Activity
from fitcoach.simulator.serialize import athlete_summary
from fitcoach.simulator.tokens import parse_scopes
from fitcoach.simulator.webhooks import Delivery, Dispatcher

CALLBACK_SECRET = "capacity-model-callback"
# Where fitcoach.sync.webhooks.subscription points Strava.
CALLBACK_PATH = f"/webhooks/strava/{CALLBACK_SECRET}"
VERIFY_TOKEN = "capacity-model"
# Where the simulator is, for URLs (the in-process transport never resolves it).
BASE_URL = "http://simulator.invalid"
# Real seconds to wait for the simulator (starting, answering) on a loaded machine.
WAIT_S = 60.0


class SimTime:
    """Simulated time, shared by the simulator, the budget and the sync code.

    Only the run loop moves it, and only forward, so every party sees the same instant.
    """

    def __init__(self, epoch: float) -> None:
        self.epoch = epoch

    def seconds(self) -> float:
        return self.epoch

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch, UTC)

    def move_to(self, epoch: float) -> None:
        self.epoch = max(self.epoch, epoch)


class Inbox:
    """Push events as the simulator emitted them, in order."""

    def __init__(self) -> None:
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()

    def put(self, event: dict[str, Any]) -> None:
        self._events.put(event)

    def take(self) -> dict[str, Any]:
        try:
            return self._events.get(timeout=WAIT_S)
        except queue.Empty:
            raise CapacityError(f"the simulator sent no push event within {WAIT_S:g} s") from None


class _Capture(Dispatcher):
    """The simulator's dispatcher, handing events over in-process instead of POSTing them."""

    def __init__(self, original: Dispatcher, inbox: Inbox) -> None:
        super().__init__(original.config, original.clock, original.faults)
        self._inbox = inbox

    def emit(self, event: dict[str, Any], callback_url: str) -> Delivery:
        delivery = Delivery(len(self.log) + 1, event, callback_url, outcome="delivered")
        self._inbox.put(event)
        return delivery


def capture_webhooks(sim: Simulator, inbox: Inbox, callback: ASGIApp) -> None:
    """Events into `inbox`; the subscription's handshake to `callback`, in-process."""
    sim.webhooks = _Capture(sim.webhooks, inbox)
    sim.webhooks.transport = httpx.ASGITransport(app=callback)


def wrap(simulator: FastAPI) -> Starlette:
    """The simulator at the root, plus the webhook callback's validation handshake."""

    async def validate(request: Request) -> Response:
        params = request.query_params
        if params.get("hub.verify_token") != VERIFY_TOKEN:
            return JSONResponse({"detail": "wrong verify token"}, status_code=403)
        return JSONResponse({"hub.challenge": params.get("hub.challenge", "")})

    return Starlette(
        routes=[Route(CALLBACK_PATH, validate, methods=["GET"]), Mount("/", app=simulator)]
    )


class InProcess(httpx.BaseTransport):
    """httpx's transport to an ASGI app in this thread: the request and the response are
    the ones HTTP would carry (method, path, query, headers, body; status, headers,
    body), handed over without a socket, a server thread or a thread switch.

    Served by uvicorn on loopback, every request crossed two threads that took turns for
    the interpreter lock; on a loaded 2-core machine that cost more than the simulator's
    and fitcoach's own work. The app runs on this transport's event loop, one request at
    a time, as the run loop makes them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        body = request.read()
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.partition(b"?")[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "client": ("127.0.0.1", 0),
            "server": (url.host, url.port or 80),
        }
        received = False
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal received
            if received:
                return {"type": "http.disconnect"}
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        self.loop.run_until_complete(self.app(scope, receive, send))
        return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)

    def close(self) -> None:
        self.loop.close()


class Control:
    """The simulator's control operations (those of its `/_sim` API: not Strava's, never
    counted), called on the simulator itself.

    The population's uploads, edits and deletions are one call each, a quarter of a
    million a day at 100,000 athletes: through the control API's routes each cost a
    request's parsing and routing, more than the change itself.
    """

    def __init__(self, sim: Simulator, scopes: str) -> None:
        self._sim = sim
        self._scopes = parse_scopes(scopes) or []

    def close(self) -> None:
        pass

    def athlete_ids(self) -> list[int]:
        return list(self._sim.store.athletes)

    def create_athlete(self, kind: str, history_days: int, seed: int) -> dict[str, Any]:
        athlete = self._sim.new_athlete(kind, history_days, seed)
        history = self._sim.store.history(athlete.id)
        return {"id": athlete.id, "activities": sum(1 for a in history if not a.deleted)}

    def token(self, athlete_id: int) -> dict[str, Any]:
        answer = self._sim.mint_token(athlete_id, self._scopes)
        answer["athlete"] = athlete_summary(self._sim.store.athletes[athlete_id])
        return answer

    def upload(self, athlete_id: int, start: int, duration: int, name: str) -> int:
        athlete = self._sim.store.athletes[athlete_id]
        return self._sim.upload_generated(athlete, start=start, duration=duration, name=name).id

    def rename(self, activity_id: int, name: str) -> None:
        self._sim.edit(self._activity(activity_id), {"name": name})

    def delete(self, activity_id: int) -> None:
        self._sim.delete(self._activity(activity_id))

    def usage(self) -> dict[str, Any]:
        return self._sim.limiter.report(self._sim.now())

    def reset_usage(self) -> None:
        self._sim.limiter.reset()

    def _activity(self, activity_id: int) -> Activity:
        act = self._sim.store.activity(activity_id)
        if act is None:
            raise CapacityError(f"the simulator has no activity {activity_id}")
        return act


def read_usage(usage: dict[str, Any], client_id: str) -> tuple[int, int]:
    """(15-minute, daily) read usage of the application, as the simulator counts it."""
    app = usage.get("applications", {}).get(client_id)
    if app is None:
        return 0, 0
    return int(app["read"]["short"]["usage"]), int(app["read"]["long"]["usage"])
