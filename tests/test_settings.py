from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fitcoach.core.errors import ConfigError
from fitcoach.core.settings import load_settings


def test_embedded_defaults_need_no_configuration(isolated_settings: Path) -> None:
    settings = load_settings()
    assert settings.embedded
    assert settings.database.get_backend_name() == "sqlite"
    assert settings.database.database == (isolated_settings / "fitcoach.db").as_posix()
    assert settings.strava_base_url == "https://www.strava.com"
    assert (settings.strava_read_short_limit, settings.strava_read_long_limit) == (100, 1000)
    assert (settings.strava_short_limit, settings.strava_long_limit) == (100, 1000)
    assert settings.redis_url == ""


def test_embedded_secrets_are_generated_once_with_owner_only_permissions(
    isolated_settings: Path,
) -> None:
    first = load_settings()
    path = isolated_settings / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_settings()
    assert first.secret_key == second.secret_key and len(first.secret_key) > 40
    assert (
        first.fernet_keys
        == second.fernet_keys
        == [json.loads(path.read_text())["token_encryption_keys"]]
    )


def test_postgres_spellings_use_psycopg3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/fit")
    assert load_settings().database.drivername == "postgresql+psycopg"


@pytest.mark.parametrize("value", ["not a url", "mysql://u@h/db", "://"])
def test_malformed_database_url_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", value)
    with pytest.raises(ConfigError, match=r"^DATABASE_URL") as raised:
        load_settings()
    assert "\n" not in str(raised.value)


def test_production_requires_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FITCOACH_MODE", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://r:6379/0")
    monkeypatch.setenv("PUBLIC_URL", "https://fitcoach.example.com")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("STRAVA_WEBHOOK_CALLBACK_SECRET", "c" * 32)
    with pytest.raises(ConfigError, match="TOKEN_ENCRYPTION_KEYS must be set in production"):
        load_settings()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", "not-a-fernet-key")
    with pytest.raises(ConfigError, match="not a Fernet key"):
        load_settings()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    assert not load_settings().embedded


def test_bad_numbers_and_modes_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRAVA_READ_SHORT_LIMIT", "lots")
    with pytest.raises(ConfigError, match=r"^STRAVA_READ_SHORT_LIMIT"):
        load_settings()
    monkeypatch.delenv("STRAVA_READ_SHORT_LIMIT")
    monkeypatch.setenv("FITCOACH_MODE", "staging")
    with pytest.raises(ConfigError, match=r"^FITCOACH_MODE"):
        load_settings()


def test_budget_shares_must_rise_with_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRAVA_BACKFILL_SHARE", "0.5")
    monkeypatch.setenv("STRAVA_SCHEDULED_SHARE", "0.6")
    settings = load_settings()
    assert (settings.strava_backfill_share, settings.strava_scheduled_share) == (0.5, 0.6)
    monkeypatch.setenv("STRAVA_SCHEDULED_SHARE", "0.4")
    with pytest.raises(ConfigError, match=r"^STRAVA_SCHEDULED_SHARE: .*STRAVA_BACKFILL_SHARE"):
        load_settings()
    monkeypatch.setenv("STRAVA_SCHEDULED_SHARE", "1.5")
    with pytest.raises(ConfigError, match=r"^STRAVA_SCHEDULED_SHARE"):
        load_settings()


def test_text_logs_name_each_request_by_method_path_status_and_time() -> None:
    import logging

    from fitcoach.core.logs import TextFormatter

    record = logging.LogRecord("fitcoach.web", logging.INFO, __file__, 1, "request", None, None)
    for key, value in {
        "method": "GET",
        "path": "/",
        "status": 200,
        "duration_ms": 3.2,
        "request_id": "ab12",
    }.items():
        setattr(record, key, value)
    line = TextFormatter().format(record)
    assert line.endswith("request method=GET path=/ status=200 duration_ms=3.2 request_id=ab12")
    assert " INFO fitcoach.web " in line


def test_the_webhook_callback_secret_is_generated_and_kept(isolated_settings: Path) -> None:
    first = load_settings()
    assert len(first.callback_secrets) == 1 and len(first.callback_secrets[0]) >= 32
    assert load_settings().callback_secrets == first.callback_secrets
    # A data directory from before the secret existed gets one, kept with the others.
    path = isolated_settings / "secrets.json"
    stored = json.loads(path.read_text())
    del stored["webhook_callback_secret"]
    path.write_text(json.dumps(stored))
    again = load_settings()
    assert again.secret_key == first.secret_key and len(again.callback_secrets[0]) >= 32
    assert json.loads(path.read_text())["webhook_callback_secret"] == again.callback_secrets[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("value", ["short", "has a space in it!!", "ok-but-then/slash/x"])
def test_a_webhook_callback_secret_must_be_long_and_url_safe(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("STRAVA_WEBHOOK_CALLBACK_SECRET", f"a-good-one-0123456789,{value}")
    with pytest.raises(ConfigError, match=r"^STRAVA_WEBHOOK_CALLBACK_SECRET"):
        load_settings()
    monkeypatch.setenv("STRAVA_WEBHOOK_CALLBACK_SECRET", "new-one-0123456789, old-one-0123456789")
    assert load_settings().callback_secrets == ["new-one-0123456789", "old-one-0123456789"]
