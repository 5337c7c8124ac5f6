"""Real HTTP on loopback: a scriptable webhook callback server and a uvicorn-served simulator."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn
from fastapi import FastAPI


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    at: float


@dataclass
class Callback:
    """What the callback does: a status per POST in turn (then 200), an optional delay."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    gate: threading.Event | None = None  # POSTs wait on it when set
    echo: bool = True  # answer the handshake correctly
    verify_token: str = "vt"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.method == "POST"]


def _handler(cb: Callback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            with cb.lock:
                cb.received.append(Received("GET", parts.path, query, None, time.monotonic()))
            time.sleep(cb.delay)
            if not cb.echo or query.get("hub.verify_token") != [cb.verify_token]:
                self._reply(403, {"error": "verify token mismatch"})
                return
            self._reply(200, {"hub.challenge": query["hub.challenge"][0]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            parts = urlsplit(self.path)
            with cb.lock:
                cb.received.append(Received("POST", parts.path, {}, body, time.monotonic()))
                status = cb.statuses.pop(0) if cb.statuses else 200
            if cb.gate is not None:
                cb.gate.wait(10)
            time.sleep(cb.delay)
            with suppress(BrokenPipeError, ConnectionResetError):
                self._reply(status, {})

    return Handler


@contextmanager
def callback_server(cb: Callback) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(cb))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/strava/webhook"
    finally:
        if cb.gate is not None:
            cb.gate.set()
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live(app: FastAPI, until: Callable[[], bool] | None = None) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port for the duration of the block."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
