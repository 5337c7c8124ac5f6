"""The FastAPI application factory."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from redis import Redis
from starlette.middleware.sessions import SessionMiddleware

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
    app = FastAPI(title="fitcoach", version=__version__)
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

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        log.info(
            "request",
            extra={
                "request_id": rid,
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response

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
