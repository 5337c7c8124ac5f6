"""`create_app`: the simulator as one ASGI application, Strava's paths at its root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import api, control, oauth, push
from .config import SimulatorConfig
from .edge import StravaEdge
from .errors import error_response, fault
from .state import open_simulator


def _strava_path(request: Request) -> bool:
    return request.url.path.startswith(("/api/v3", "/oauth"))


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    config = config or SimulatorConfig()
    sim = open_simulator(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sim.webhooks.close()
        sim.changed()

    app = FastAPI(
        title="fitcoach Strava simulator",
        lifespan=lifespan,
        docs_url="/_sim/docs",
        openapi_url="/_sim/openapi.json",
        redoc_url=None,
    )
    app.state.sim = sim
    for module in (oauth, api, push, control):
        app.include_router(module.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _strava_path(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 405:
            return error_response(405, "Method Not Allowed", "Application", "method", "invalid")
        return JSONResponse(
            fault("Record Not Found", "resource", "path", "invalid"), status_code=exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _strava_path(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        # A non-numeric id in the path is simply a record that does not exist.
        return error_response(404, "Record Not Found", "Activity", "id", "invalid")

    app.add_middleware(StravaEdge, sim=sim)
    return app
