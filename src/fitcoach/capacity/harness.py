"""The simulated world's plumbing: one clock for everyone, the simulator on loopback.

The simulator runs in-process, served by uvicorn on a loopback port in a thread, so that
fitcoach's real StravaClient talks HTTP to it exactly as to Strava. Its push events are
taken from its dispatcher as it emits them, the very bodies it would POST, and the run
loop hands each to the strategy at the event's simulated time: events are handled in
order and nothing races the clock. (A real POST per event cost about 0.2 s of wall time
on a loaded 2-core machine and carries nothing the model measures; the subscription's
validation handshake still goes over HTTP to the callback served here.)
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from fitcoach.capacity.options import CapacityError
from fitcoach.simulator.core import Simulator
from fitcoach.simulator.webhooks import Delivery, Dispatcher

CALLBACK_SECRET = "capacity-model-callback"
# Where fitcoach.sync.webhooks.subscription points Strava.
CALLBACK_PATH = f"/webhooks/strava/{CALLBACK_SECRET}"
VERIFY_TOKEN = "capacity-model"
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


def capture_webhooks(sim: Simulator, inbox: Inbox) -> None:
    sim.webhooks = _Capture(sim.webhooks, inbox)


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


class LoopbackServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: Starlette) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        port = int(self._socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + WAIT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise CapacityError("the simulator did not start on a loopback port")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=WAIT_S)
        self._socket.close()


class Control:
    """The simulator's `/_sim` control API: not Strava's, never counted."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=f"{base_url}/_sim", timeout=WAIT_S)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 300:
            raise CapacityError(
                f"simulator {method} /_sim{path} answered {response.status_code}: "
                f"{response.text[:200]}"
            )
        return response.json() if response.content else None

    def athlete_ids(self) -> list[int]:
        return [int(a["id"]) for a in self._call("GET", "/athletes")]

    def create_athlete(self, kind: str, history_days: int, seed: int) -> dict[str, Any]:
        body = {"kind": kind, "history_days": history_days, "seed": seed}
        answer: dict[str, Any] = self._call("POST", "/athletes", body)
        return answer

    def token(self, athlete_id: int, scope: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(
            "POST", f"/athletes/{athlete_id}/token", {"scope": scope}
        )
        answer.setdefault("athlete", {"id": athlete_id})
        return answer

    def upload(self, athlete_id: int, start: int, duration: int, name: str) -> int:
        body = {"generate": {"start": start, "duration": duration, "name": name}}
        return int(self._call("POST", f"/athletes/{athlete_id}/activities", body)["id"])

    def rename(self, activity_id: int, name: str) -> None:
        self._call("PATCH", f"/activities/{activity_id}", {"name": name})

    def delete(self, activity_id: int) -> None:
        self._call("DELETE", f"/activities/{activity_id}")

    def usage(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("GET", "/usage")
        return answer

    def reset_usage(self) -> None:
        self._call("POST", "/usage/reset")


def read_usage(usage: dict[str, Any], client_id: str) -> tuple[int, int]:
    """(15-minute, daily) read usage of the application, as the simulator counts it."""
    app = usage.get("applications", {}).get(client_id)
    if app is None:
        return 0, 0
    return int(app["read"]["short"]["usage"]), int(app["read"]["long"]["usage"])
