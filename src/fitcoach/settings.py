"""All of fitcoach's settings, read from environment variables in this one place.

Every setting has a documented default so that the embedded mode needs none; the
production mode (``FITCOACH_MODE=production``) requires its secrets explicitly.
"""

from __future__ import annotations

import json
import os
import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from fitcoach.errors import ConfigError

SECRETS_FILE = "secrets.json"


class Mode(StrEnum):
    EMBEDDED = "embedded"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """fitcoach's configuration; each field is the environment variable of the same name."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    fitcoach_mode: Mode = Field(
        Mode.EMBEDDED, description="embedded (one process, SQLite) or production"
    )
    data_dir: Path = Field(
        Path("data"), description="Where the embedded mode keeps its database, queue and keys"
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; default sqlite:///<DATA_DIR>/fitcoach.db"
    )
    redis_url: str = Field("", description="Redis URL; unset means embedded mode counters/queue")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Where athletes reach fitcoach (OAuth callbacks)"
    )
    secret_key: str = Field("", description="Signs session cookies; generated in embedded mode")
    token_encryption_keys: str = Field(
        "",
        description="Comma-separated Fernet keys, newest first; old keys still decrypt",
    )
    strava_client_id: str = Field("", description="Strava application client id")
    strava_client_secret: str = Field("", description="Strava application client secret")
    strava_base_url: str = Field("https://www.strava.com", description="Strava (or simulator)")
    strava_webhook_verify_token: str = Field(
        "", description="Echoed by Strava when validating the webhook; generated if unset"
    )
    strava_subscription_id: int | None = Field(
        None, description="Strava's push subscription id; events for other ids are refused"
    )
    strava_short_limit: int = Field(100, ge=1, description="Overall requests per 15 minutes")
    strava_long_limit: int = Field(1000, ge=1, description="Overall requests per day")
    strava_read_short_limit: int = Field(100, ge=1, description="Read requests per 15 minutes")
    strava_read_long_limit: int = Field(1000, ge=1, description="Read requests per day")
    strava_athlete_short_limit: int = Field(50, ge=1, description="Per-athlete per 15 minutes")
    strava_athlete_long_limit: int = Field(500, ge=1, description="Per-athlete per day")
    coach_llm_base_url: str = Field("", description="OpenAI-compatible endpoint for the narrator")
    coach_llm_model: str = Field("", description="Model name for the narrator")
    coach_llm_api_key: str = Field("", description="API key for the narrator endpoint")
    log_level: str = Field("INFO", description="Python logging level")
    log_format: str = Field("json", description="json (structured) or text")

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in ("json", "text"):
            raise ValueError("must be 'json' or 'text'")
        return value

    @property
    def embedded(self) -> bool:
        return self.fitcoach_mode is Mode.EMBEDDED

    @cached_property
    def database(self) -> URL:
        """The database URL, normalised to the psycopg 3 driver for PostgreSQL."""
        raw = self.database_url or f"sqlite:///{(self.data_dir / 'fitcoach.db').as_posix()}"
        return parse_database_url(raw)

    @cached_property
    def fernet_keys(self) -> list[str]:
        return [key.strip() for key in self.token_encryption_keys.split(",") if key.strip()]


def parse_database_url(raw: str) -> URL:
    """Parse DATABASE_URL, accepting the common ``postgres://`` spellings of hosting providers."""
    try:
        url = make_url(raw)
    except ArgumentError as error:
        raise ConfigError(
            f"DATABASE_URL is not a database URL ({raw!r}); "
            "use e.g. sqlite:///data/fitcoach.db or postgresql://user@host/db"
        ) from error
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url
    raise ConfigError(
        f"DATABASE_URL uses {backend!r}; fitcoach supports sqlite and postgresql URLs"
    )


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment, fill embedded-mode secrets, and check them.

    Raises ConfigError with one line naming the setting when something is wrong.
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"{name}: {first['msg']}") from error
    settings.database  # noqa: B018 - parse now so a bad URL fails at start, not later
    if settings.embedded:
        _fill_embedded_secrets(settings)
    else:
        missing = [
            name
            for name, value in (
                ("SECRET_KEY", settings.secret_key),
                ("TOKEN_ENCRYPTION_KEYS", settings.token_encryption_keys),
                ("DATABASE_URL", settings.database_url),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"{', '.join(missing)} must be set in production mode "
                "(generate keys with `fitcoach keygen`)"
            )
    for key in settings.fernet_keys:
        try:
            Fernet(key)
        except ValueError as error:
            raise ConfigError(
                "TOKEN_ENCRYPTION_KEYS holds a key that is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `fitcoach keygen`)"
            ) from error
    return settings


def _fill_embedded_secrets(settings: Settings) -> None:
    """Generate the secrets once and keep them in DATA_DIR with owner-only permissions."""
    path = settings.data_dir / SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ConfigError(f"DATA_DIR: cannot read {path}: {error}") from error
    else:
        stored = {
            "secret_key": secrets.token_urlsafe(48),
            "token_encryption_keys": Fernet.generate_key().decode(),
            "webhook_verify_token": secrets.token_urlsafe(24),
        }
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                json.dump(stored, handle)
        except OSError as error:
            raise ConfigError(f"DATA_DIR: cannot write {path}: {error}") from error
    if not settings.secret_key:
        settings.secret_key = stored["secret_key"]
    if not settings.strava_webhook_verify_token:
        settings.strava_webhook_verify_token = stored.get("webhook_verify_token", "")
    if not settings.token_encryption_keys:
        settings.token_encryption_keys = stored["token_encryption_keys"]
        settings.__dict__.pop("fernet_keys", None)
