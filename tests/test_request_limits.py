"""Every route's request body is capped before it is read (docs/security.md, finding 5):
an unauthenticated 400 MB POST no longer ends up in the web process's memory."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings
from tests.conftest import recording_app

MB = 2**20


@pytest.fixture
def app(sqlite_url: URL) -> Iterator[Any]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(database_url=sqlite_url.render_as_string(hide_password=False))
    application, _ = recording_app(settings)
    yield application


def post_streamed(app: Any, path: str, chunks: int, chunk: int = MB) -> tuple[int, int]:
    """POST ``chunks`` chunks of ``chunk`` bytes without a Content-Length, as a client
    streams a body; returns the status and how many chunks the server pulled."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled > chunks:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"a" * chunk, "more_body": pulled < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("203.0.113.5", 4000),
        "server": ("testserver", 80),
    }
    # In a thread of its own: a browser test's driver may hold this thread's event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(message for message in sent if message["type"] == "http.response.start")
    return int(start["status"]), pulled


@pytest.mark.parametrize("path", ["/settings", "/auth/logout", "/coach", "/api/strava/sync"])
def test_a_streamed_400_mb_body_is_cut_off_after_the_cap(app: Any, path: str) -> None:
    status, pulled = post_streamed(app, path, chunks=400)
    assert status == 413
    assert pulled <= 2  # 256 KB allowed: the first 1 MB chunk passes it


@pytest.mark.parametrize("path", ["/settings", "/auth/logout", "/webhooks/strava/anything"])
def test_a_declared_400_mb_body_is_refused_unread(app: Any, path: str) -> None:
    with TestClient(app) as client:
        answer = client.post(path, content=b"csrf=x", headers={"content-length": str(400 * MB)})
    assert answer.status_code == 413
    assert answer.json()["error"]["status"] == 413


def test_bodies_within_the_cap_reach_their_route(app: Any) -> None:
    status, pulled = post_streamed(app, "/auth/logout", chunks=3, chunk=64 * 1024)
    assert status == 403  # the route read the form: no CSRF token in it
    assert pulled >= 3


def test_the_import_upload_keeps_its_own_larger_limit(app: Any) -> None:
    """MAX_REQUEST_KB does not apply to /import: its route streams to disk within
    MAX_UPLOAD_MB (1 GB by default) and answers for itself."""
    with TestClient(app) as client:
        answer = client.post(
            "/import",
            content=b"x" * (2 * MB),
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
    assert answer.status_code != 413
