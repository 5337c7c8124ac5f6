"""Metrics for worker processes: counted with the web's, or served on their own port.

A worker on the same machine as a web process writes to the shared multiprocess
directory and the web's ``/metrics`` includes it. A worker that runs alone (its own
container or machine) sets METRICS_PORT and serves its counts there, behind the same
token rule as ``/metrics``; the installation's figures (budget, athletes, queue) stay
with the web processes, so they are not reported twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from fitcoach.core.settings import Settings
from fitcoach.monitoring.access import metrics_refusal
from fitcoach.monitoring.process import configure_process, scrape_registry

log = logging.getLogger("fitcoach.monitoring")

_started: WSGIServer | None = None
_lock = threading.Lock()

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_FORWARDING = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")


def configure_worker(settings: Settings) -> None:
    """At a worker's start: share its counts, and serve them when METRICS_PORT says so."""
    configure_process(settings)
    if settings.metrics_port is not None:
        serve_metrics(settings, settings.metrics_host, settings.metrics_port)


def metrics_app(settings: Settings) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: scrape /metrics\n"]
        refusal = metrics_refusal(
            settings,
            environ.get("HTTP_AUTHORIZATION"),
            environ.get("REMOTE_ADDR"),
            any(name in environ for name in _FORWARDING),
        )
        if refusal is not None:
            status = "401 Unauthorized" if refusal.status == 401 else "403 Forbidden"
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{refusal.reason} {refusal.what_to_do}\n".encode()]
        body = generate_latest(scrape_registry())
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not news."""


def serve_metrics(settings: Settings, host: str, port: int) -> WSGIServer | None:
    """Serve this machine's metrics on `host`:`port` in a background thread, once.

    Several workers of one machine share the directory: the first to bind serves the
    sum for all, the others find the port taken and leave it to that one.
    """
    global _started
    with _lock:
        if _started is not None:
            return _started
        try:
            server = make_server(
                host, port, metrics_app(settings), server_class=_Server, handler_class=_QuietHandler
            )
        except OSError as error:
            log.info("metrics port not served by this process", extra={"error": str(error)})
            return None
        threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
        _started = server
        log.info("serving metrics", extra={"host": host, "port": server.server_port})
        return server
