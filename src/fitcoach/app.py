"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import random
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from redis import Redis
from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitcoach import __version__
from fitcoach.accounts import (
    account_endpoints,
    oidc_endpoints,
    operator_endpoints,
    passkey_endpoints,
    password_endpoints,
)
from fitcoach.accounts import endpoints as accounts
from fitcoach.athletes import endpoints as athletes
from fitcoach.core.clock import Clock, utc_now
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, reads_only, session_factory
from fitcoach.core.logs import configure_logging, request_id
from fitcoach.core.queue import TaskQueue
from fitcoach.core.settings import Settings, load_settings
from fitcoach.dashboard import activity_page, api, browse, curves, threshold_history
from fitcoach.dashboard import endpoints as dashboard
from fitcoach.imports import endpoints as imports
from fitcoach.imports.parsing.limits import limits_from
from fitcoach.inline_queue import InlineQueue
from fitcoach.mcp import endpoints as assistant
from fitcoach.mcp.http import PATH as MCP_PATH
from fitcoach.mcp.http import McpHttp
from fitcoach.mcp.server import ServerSetup
from fitcoach.monitoring import admin, health
from fitcoach.monitoring import endpoints as metrics
from fitcoach.monitoring.process import configure_process
from fitcoach.narrator import endpoints as narrator
from fitcoach.planning import endpoints as planning
from fitcoach.strava.client import StravaClient
from fitcoach.strava.factory import strava_client
from fitcoach.sync import endpoints as sync
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks import endpoints as webhooks
from fitcoach.sync.webhooks.endpoints import (
    MAX_EVENT_BYTES,
    REFUSED_BURST,
    REFUSED_PER_MINUTE,
    CallbackGuard,
)
from fitcoach.sync.webhooks.subscription import (
    CALLBACK_PREFIX,
    ExpectedSubscription,
    redacted,
)
from fitcoach.web.deps import PageReader, Services, read_slots
from fitcoach.web.errors import install_error_handlers
from fitcoach.web.headers import SecurityHeaders
from fitcoach.web.limits import BodyLimit, InFlightLimit
from fitcoach.web.sessions import SessionPolicy
from fitcoach.web.templating import static_files
from fitcoach.web.throttle import LoginLimits, Throttle

log = logging.getLogger("fitcoach.web")

# The one route whose body may be larger than MAX_REQUEST_KB (it caps its own).
IMPORT_UPLOAD = "/import"

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
                            # The webhook's secret stays out of the logs.
                            "path": redacted(URL(scope=scope).path),
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


def create_app(
    settings: Settings,
    *,
    strava: StravaClient | None = None,
    queue: TaskQueue | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """Build the app for these settings; the database must already be migrated.

    ``strava`` defaults to a client behind the shared budget, ``queue`` to one that runs
    each task in the request's process (production passes the worker's, ``HueyQueue``),
    ``clock`` to the real time.
    """
    engine = make_engine(settings.database)
    sessions = session_factory(engine)
    ring = key_ring(settings.fernet_keys)
    client = strava or strava_client(settings, engine)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        reader=PageReader(
            reads_only(engine), threading.BoundedSemaphore(read_slots(settings.read_concurrency))
        ),
        key_ring=ring,
        redis=Redis.from_url(settings.redis_url) if settings.redis_url else None,
        strava=client,
        queue=queue
        or InlineQueue(
            SyncContext(sessions, ring, client, clock), settings.data_dir, limits_from(settings)
        ),
        clock=clock,
        session_policy=SessionPolicy.from_settings(settings),
        logins=LoginLimits(
            clock=lambda: clock().timestamp(),
            # Shared by every web process; a slow Redis costs a sign-in half a second
            # at most before the process's own limit decides.
            redis=Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if settings.redis_url
            else None,
        ),
    )
    mcp = McpHttp(
        ServerSetup(
            sessions,
            clock,
            settings.coach_llm_allow_strava_data,
            settings.mcp_max_response_kb * 1024,
        ),
        settings.mcp_requests_per_minute,
        clock,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The MCP server's HTTP sessions live as long as the app serves.
        async with mcp.running():
            yield

    # The API documentation shows every route and parameter: not in production unless
    # API_DOCS says so.
    docs = settings.serves_api_docs
    app = FastAPI(
        lifespan=lifespan,
        title="fitcoach",
        version=__version__,
        telemetry=NO_TELEMETRY,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.services = services
    app.state.expected_subscription = ExpectedSubscription(
        sessions, settings.strava_subscription_id
    )
    app.state.callback_guard = CallbackGuard(
        tuple(settings.callback_secrets),
        Throttle(REFUSED_BURST, REFUSED_PER_MINUTE, clock=lambda: clock().timestamp()),
    )
    install_error_handlers(app)
    for router in (
        health.router,
        accounts.router,
        password_endpoints.router,
        account_endpoints.router,
        operator_endpoints.router,
        passkey_endpoints.router,
        oidc_endpoints.router,
        dashboard.router,
        activity_page.router,
        browse.router,
        curves.router,
        threshold_history.router,
        athletes.router,
        narrator.router,
        webhooks.router,
        api.router,
        api.fitness_router,
        sync.router,
        imports.router,
        planning.router,
        assistant.router,
        admin.router,
        metrics.router,
    ):
        app.include_router(router)
    app.mount("/static", static_files(), name="static")
    # An ASGI app of its own (the SDK's transport), reached through the middleware above.
    app.router.routes.append(Route(MCP_PATH, mcp, methods=["GET", "POST", "DELETE"]))
    https = settings.public_url.startswith("https://")
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="fitcoach_session",
        # The browser's copy lasts as long as a login may; the server ends it sooner
        # (fitcoach.web.sessions: version, idle time, age).
        max_age=settings.session_max_days * 24 * 3600,
        same_site="lax",
        https_only=https,
    )
    # Outside the session: a body refused unread costs no cookie check either.
    app.add_middleware(
        BodyLimit,
        limit=settings.max_request_kb * 1024,
        limits={CALLBACK_PREFIX: MAX_EVENT_BYTES},
        exempt=(IMPORT_UPLOAD,),  # streamed to disk within MAX_UPLOAD_MB by its route
    )

    app.add_middleware(SecurityHeaders, https=https)
    # Outermost but for Starlette's error middleware, as @app.middleware("http") was.
    app.add_middleware(RequestContext)
    # Outermost of all: a webhook delivery beyond the cap costs only its parsing.
    app.add_middleware(
        InFlightLimit,
        paths=[f"{CALLBACK_PREFIX}/{secret}" for secret in settings.callback_secrets],
        limit=settings.webhook_max_in_flight,
    )
    return app


def create_app_from_env() -> FastAPI:
    """Entry point for uvicorn's ``--factory`` with several worker processes."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    configure_process(settings)  # before the first count: metrics summed over processes
    from fitcoach.worker import HueyQueue  # opens the task queue

    app = create_app(settings, queue=HueyQueue())
    # What imports and building the app made lives as long as the process: moved out of
    # the collector's generations, it is no longer walked by every collection that a
    # request's rows and pages set off.
    gc.collect()
    gc.freeze()
    return app
