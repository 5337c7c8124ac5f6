"""Security headers on every answer, pages without inline code, the API documentation off
in production (docs/security.md, finding 8). The browser half: tests/browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.app import create_app
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "fitcoach" / "web" / "templates"


def app_for(url: URL, **settings: Any) -> Any:
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return create_app(
        load_settings(database_url=url.render_as_string(hide_password=False), **settings)
    )


@pytest.mark.parametrize("path", ["/", "/settings", "/static/js/fitcoach.js", "/nowhere"])
def test_every_answer_carries_the_headers(sqlite_url: URL, path: str) -> None:
    with TestClient(app_for(sqlite_url)) as client:
        headers = client.get(path).headers
    policy = headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers  # plain http: meaningless


def test_behind_https_the_browser_is_told_to_stay_on_https(sqlite_url: URL) -> None:
    app = app_for(sqlite_url, public_url="https://fitcoach.example.com")
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/").headers["strict-transport-security"].startswith("max-age=")


def test_the_templates_hold_no_inline_script_style_or_handler() -> None:
    """What the CSP would refuse: scripts other than files and JSON data, style
    attributes or elements, on* handlers, javascript: links."""
    for template in TEMPLATES.rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.DOTALL)
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\sstyle\s*=", text), template.name
        assert "<style" not in text, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "javascript:" not in text, template.name


def test_the_api_documentation_is_off_in_production_unless_asked_for(
    sqlite_url: URL, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    production = {
        "fitcoach_mode": "production",
        "database_url": sqlite_url.render_as_string(hide_password=False),
        "redis_url": redis_url,
        "public_url": "https://fitcoach.example.com",
        "secret_key": "s" * 40,
        "token_encryption_keys": Fernet.generate_key().decode(),
        "strava_webhook_callback_secret": "c" * 32,
    }
    monkeypatch.setenv("PUBLIC_URL", "https://fitcoach.example.com")  # counts as set
    with TestClient(create_app(load_settings(**production))) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            assert client.get(path).status_code == 404, path
    with TestClient(create_app(load_settings(**production, api_docs=True))) as client:
        assert client.get("/openapi.json").status_code == 200
        docs = client.get("/docs")
        assert docs.status_code == 200 and "content-security-policy" not in docs.headers
        assert docs.headers["x-frame-options"] == "DENY"
    # The embedded mode (a developer's machine) serves them by default.
    with TestClient(app_for(sqlite_url)) as client:
        assert client.get("/openapi.json").status_code == 200
