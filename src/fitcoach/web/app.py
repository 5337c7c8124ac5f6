"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import random
import time

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from redis import Redis
from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitcoach import __version__
from fitcoach.logs import configure_logging, request_id
from fitcoach.monitoring import endpoint as metrics_endpoint
from fitcoach.monitoring.endpoint import attach_queue
from fitcoach.monitoring.process import configure_process
from fitcoach.settings import Settings, load_settings
from fitcoach.store.crypto import key_ring
from fitcoach.store.engine import make_engine, session_factory
from fitcoach.strava.client import StravaClient
from fitcoach.strava.factory import strava_client
from fitcoach.web import admin, api, auth, health, imports, pages, webhooks
from fitcoach.web.errors import install_error_handlers
from fitcoach.web.state import AppState

log = logging.getLogger("fitcoach.web")

# fitcoach reports through /metrics and its request logs, not OpenTelemetry: FastAPI's own
# spans and meters, on by default, cost each request a tenth of a millisecond even with
# nothing to send them to.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


class RequestContext:
    """Each HTTP request's id (the caller's ``X-Request-ID`` or a new one) for the logs
    written while it is served, the ``X-Request-ID`` response header, and one ``request``
    log line with the status and the time to the response's start.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` runs the app in a task of
    its own and relays every message through a stream, which costs each request more than
    the rest of this does.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A new id from the process's random generator, not uuid4: that reads the system's
        # random source, a system call that lets go of the interpreter lock, and under load
        # each request then waited to take it back. Ids need to be distinct, not secret.
        rid = Headers(scope=scope).get("x-request-id") or f"{random.getrandbits(64):016x}"
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message)["X-Request-ID"] = rid
                if log.isEnabledFor(logging.INFO):  # no record to build when it is off
                    log.info(
                        "request",
                        extra={
                            "request_id": rid,
                            "method": scope["method"],
                            "path": URL(scope=scope).path,
                            "status": message["status"],
                            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        },
                    )
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def create_app(settings: Settings, strava: StravaClient | None = None) -> FastAPI:
    """Build the app for these settings; the database must already be migrated."""
    engine = make_engine(settings.database)
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        key_ring=key_ring(settings.fernet_keys),
        redis=Redis.from_url(settings.redis_url) if settings.redis_url else None,
        strava=strava or strava_client(settings, engine),
    )
    app = FastAPI(title="fitcoach", version=__version__, telemetry=NO_TELEMETRY)
    app.state.fitcoach = state
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")
    app.include_router(webhooks.router)
    app.include_router(api.router)
    app.include_router(imports.router)
    app.include_router(admin.router)
    app.include_router(metrics_endpoint.router)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="fitcoach_session",
        max_age=30 * 24 * 3600,
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )

    # Outermost but for Starlette's error middleware, as @app.middleware("http") was.
    app.add_middleware(RequestContext)
    return app


def create_app_from_env() -> FastAPI:
    """Entry point for uvicorn's ``--factory`` with several worker processes."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    configure_process(settings)  # before the first count: metrics summed over processes
    app = create_app(settings)
    connect_queue(app.state.fitcoach)
    from fitcoach import worker

    attach_queue(app, worker.huey)
    # What imports and building the app made lives as long as the process: moved out of
    # the collector's generations, it is no longer walked by every collection that a
    # request's rows and pages set off (a tenth of a dashboard request's time before).
    gc.collect()
    gc.freeze()
    return app


def connect_queue(state: AppState) -> None:
    """Hand webhook events and new athletes to the task queue's workers."""
    from fitcoach import worker  # the queue is configured from the settings at import

    state.enqueue_event = worker.handle_webhook_event
    state.on_connect.append(worker.start_backfill)
    state.enqueue_sync = worker.enqueue_manual_sync
    state.sync_status = worker.manual_sync_status
    state.enqueue_recompute = worker.recompute_loads
    state.enqueue_import = worker.import_upload
