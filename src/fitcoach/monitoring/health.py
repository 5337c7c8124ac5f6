"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from fitcoach.core.db import DatabaseUnavailable, check_reachable
from fitcoach.migrations import current_revision, head_revision
from fitcoach.web.deps import AppServices

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive; says nothing about its dependencies."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(state: AppServices) -> JSONResponse:
    """Ready to serve: database reachable, schema at head, Redis reachable when configured."""
    checks: dict[str, str] = {}
    try:
        check_reachable(state.engine)
        revision = current_revision(state.engine)
        head = head_revision()
        checks["database"] = "ok"
        checks["schema"] = (
            "ok"
            if revision == head
            else f"at {revision}, head is {head}: run `fitcoach db upgrade`"
        )
    except (DatabaseUnavailable, SQLAlchemyError) as error:
        checks["database"] = str(error).splitlines()[0]
    if state.redis is not None:
        try:
            state.redis.ping()
            checks["redis"] = "ok"
        except Exception as error:  # any Redis client failure means "not ready"
            checks["redis"] = f"REDIS_URL: {error}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )
