"""The floor for bench/serving.py: the endpoint's SQL and nothing else.

For each path, runs the statements fitcoach's real endpoint ran (captured from it by
bench/serving.py, with their parameters) on one pooled connection of the same driver,
for the athlete named by the ``x-athlete`` header, and returns the rows as JSON. No
session, no ORM, no templates, no coaching maths. The statements take the same turns
fitcoach's page reads take (``READ_CONCURRENCY``, ``fitcoach.web.deps.read_slots``), so
the floor gains what that gains fitcoach.
"""

from __future__ import annotations

import json
import os
import pickle
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fitcoach.core.db import make_engine
from fitcoach.web.deps import read_slots

# One statement as the driver received it: SQL text and DBAPI parameters.
Statement = tuple[str, Any]


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def for_athlete(parameters: Any, captured: int, athlete_id: int) -> Any:
    """The captured parameters with the captured athlete's id replaced by this one's."""

    def swap(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value == captured:
            return athlete_id
        if isinstance(value, str) and str(captured) in value:
            return value.replace(str(captured), str(athlete_id))
        return value

    if isinstance(parameters, dict):
        return {key: swap(value) for key, value in parameters.items()}
    if isinstance(parameters, list | tuple):
        return type(parameters)(swap(value) for value in parameters)
    return parameters


def create_app() -> Starlette:
    engine = make_engine(make_url(os.environ["DATABASE_URL"]))
    plan: dict[str, Any] = pickle.loads(Path(os.environ["BENCH_SQL_PLAN"]).read_bytes())
    captured: int = plan["athlete"]
    statements: dict[str, list[Statement]] = plan["statements"]

    turns = threading.BoundedSemaphore(read_slots(int(os.environ.get("READ_CONCURRENCY", "0"))))

    def run(path: str, athlete_id: int) -> bytes:
        with turns:
            connection = engine.raw_connection()  # the pool fitcoach uses: pre-ping, pragmas
            try:
                cursor = connection.cursor()
                results = []
                for sql, parameters in statements[path]:
                    cursor.execute(sql, for_athlete(parameters, captured, athlete_id))
                    results.append(cursor.fetchall())
                cursor.close()
            finally:
                connection.close()  # back to the pool, rolled back as fitcoach's sessions are
        return json.dumps(results, default=_json_value).encode()

    async def endpoint(request: Request) -> Response:
        athlete = request.headers.get("x-athlete", "")
        if not athlete.isdigit():
            return JSONResponse({"error": "x-athlete header missing"}, status_code=400)
        body = await run_in_threadpool(run, request.url.path, int(athlete))
        return Response(body, media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [Route(path, endpoint) for path in statements]
    return Starlette(routes=[*routes, Route("/healthz", healthz)])
