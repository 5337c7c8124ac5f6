"""All of fitcoach's settings, read from environment variables in this one place.

Every setting has a documented default so that the embedded mode needs none; the
production mode (``FITCOACH_MODE=production``) requires its secrets explicitly.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.fernet import Fernet
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from fitcoach.core.errors import ConfigError

SECRETS_FILE = "secrets.json"
# A secret that goes into the webhook callback's path: URL-safe, long enough not to guess.
CALLBACK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,128}")


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
    redis_url: str = Field(
        "",
        description=(
            "Redis URL; unset means embedded mode counters/queue. Set, it also holds the "
            "sign-in limits, so every web process spends the same tries"
        ),
    )
    redis_verify_tls: bool = Field(
        True,
        description=(
            "Check the certificate of a rediss:// REDIS_URL; false only for hosts whose Redis "
            "has a self-signed certificate (Heroku Key-Value Store)"
        ),
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Where athletes reach fitcoach (OAuth callbacks)"
    )
    forwarded_allow_ips: str = Field(
        "",
        description=(
            "Comma-separated addresses or networks of the reverse proxies whose "
            "X-Forwarded-For/-Proto headers are believed; '*' when only the host's router "
            "can reach the web processes (Heroku, Render, Railway); unset: none"
        ),
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
    strava_webhook_callback_secret: str = Field(
        "",
        description=(
            "Comma-separated secrets, newest first: Strava posts events to "
            "PUBLIC_URL/webhooks/strava/<the first>; the others are still accepted while a "
            "new one takes over (docs/security.md); generated in embedded mode"
        ),
    )
    strava_subscription_id: int | None = Field(
        None, description="Strava's push subscription id; events for other ids are dropped"
    )
    strava_short_limit: int = Field(100, ge=1, description="Overall requests per 15 minutes")
    strava_long_limit: int = Field(1000, ge=1, description="Overall requests per day")
    strava_read_short_limit: int = Field(100, ge=1, description="Read requests per 15 minutes")
    strava_read_long_limit: int = Field(1000, ge=1, description="Read requests per day")
    strava_athlete_short_limit: int = Field(50, ge=1, description="Per-athlete per 15 minutes")
    strava_athlete_long_limit: int = Field(500, ge=1, description="Per-athlete per day")
    # How much of every budget window each kind of background work may fill; the rest is
    # kept for those above it (a person waiting may always use the whole window).
    strava_backfill_share: float = Field(
        0.70, ge=0, le=1, description="Share of each budget window backfill may fill"
    )
    strava_scheduled_share: float = Field(
        0.85, ge=0, le=1, description="Share of each budget window the daily sync may fill"
    )
    strava_webhook_share: float = Field(
        0.95, ge=0, le=1, description="Share of each budget window webhook checks may fill"
    )
    strava_cache_seconds: float = Field(
        1800, ge=0, description="Lifetime of cached detail/stream reads; 0 turns it off"
    )
    coach_llm_base_url: str = Field("", description="OpenAI-compatible endpoint for the narrator")
    coach_llm_model: str = Field("", description="Model name for the narrator")
    coach_llm_api_key: str = Field("", description="API key for the narrator endpoint")
    strava_data_retention_days: int | None = Field(
        None,
        ge=1,
        description=(
            "Delete Strava-API-sourced activities and streams this many days after they "
            "were fetched (7 = Strava's 2026 policy cache); unset keeps them. Derived daily "
            "loads and the athlete's own imported files are kept"
        ),
    )
    coach_llm_allow_strava_data: bool = Field(
        False,
        description=(
            "Let the language-model narrator see numbers derived from Strava API data; by "
            "default it sees only the athlete's own files (Strava's 2026 policy, 5.3)"
        ),
    )
    mcp_requests_per_minute: int = Field(
        60,
        ge=1,
        description=(
            "Requests one MCP token may make to /mcp a minute (counted per web process); "
            "more are answered 429"
        ),
    )
    mcp_max_response_kb: int = Field(
        256,
        ge=1,
        description=(
            "Largest answer of one MCP tool call; a larger one is refused with a hint to "
            "narrow the request"
        ),
    )
    max_upload_mb: int = Field(
        1024, ge=1, description="Largest file or Strava archive accepted by the import page"
    )
    max_request_kb: int = Field(
        256,
        ge=1,
        description=(
            "Largest request body of every route but the import upload (MAX_UPLOAD_MB) and "
            "Strava's webhook (16 KB)"
        ),
    )
    # 256, not fewer: a refused delivery is lost once Strava's three tries are refused, a
    # late one is stored all the same (the production smoke test lost 3 genuine events to
    # 503s at 32). The cap bounds a flood's memory and connections, not its latency.
    webhook_max_in_flight: int = Field(
        256,
        ge=1,
        description=(
            "Strava webhook deliveries one web process handles at once; more are answered "
            "503 with Retry-After at once (Strava sends them again); lower it to keep answers "
            "within Strava's 2 s under a flood at the price of refused deliveries"
        ),
    )
    session_idle_minutes: int = Field(
        7 * 24 * 60, ge=1, description="A login unused this long ends (7 days)"
    )
    session_max_days: int = Field(
        30, ge=1, description="A login ends this many days after it began, used or not"
    )
    signups_open: bool = Field(
        True,
        description=(
            "Anyone may create an account; false: only with an invitation link the operator "
            "made on /admin/accounts"
        ),
    )
    oidc_issuer: str = Field(
        "",
        description=(
            "The operator's OpenID Connect identity provider (its issuer URL; the discovery "
            "document is read from ISSUER/.well-known/openid-configuration); unset: no such "
            "sign-in"
        ),
    )
    oidc_client_id: str = Field("", description="fitcoach's client id at OIDC_ISSUER")
    oidc_client_secret: str = Field("", description="fitcoach's client secret at OIDC_ISSUER")
    oidc_name: str = Field(
        "your organisation",
        description="What the sign-in button calls the identity provider (Sign in with …)",
    )
    api_docs: bool | None = Field(
        None,
        description=(
            "Serve the API documentation (/docs, /redoc, /openapi.json); unset: in the "
            "embedded mode only"
        ),
    )
    import_max_file_mb: int = Field(
        200, ge=1, description="Largest single activity file once decompressed"
    )
    import_max_archive_mb: int = Field(
        8192, ge=1, description="Largest total uncompressed size of an archive's members"
    )
    import_max_ratio: int = Field(
        200, ge=2, description="Largest compression ratio of a member (zip-bomb guard)"
    )
    import_inbox_dir: Path | None = Field(
        None,
        description=(
            "The inbox: a folder with one subfolder per athlete (named by their fitcoach "
            "id) whose activity files the worker imports by itself; default <DATA_DIR>/inbox"
        ),
    )
    import_processes: int = Field(
        0,
        ge=0,
        description=(
            "Processes that parse an archive's files at once; 0: min(2, the CPU cores); "
            "1: parse in the worker's own process"
        ),
    )
    read_concurrency: int = Field(
        0,
        ge=0,
        description=(
            "Page reads (dashboard, chart, activity list) one web process runs at once; "
            "0: one per CPU core the process may use"
        ),
    )
    log_level: str = Field("INFO", description="Python logging level")
    log_format: str = Field("json", description="json (structured) or text")
    metrics_token: str = Field(
        "",
        description=(
            "Bearer token Prometheus sends to /metrics; unset: loopback only in the embedded "
            "mode, refused in production"
        ),
    )
    prometheus_multiproc_dir: Path | None = Field(
        None,
        description=(
            "Local directory where this machine's web and worker processes write metrics, "
            "summed at each scrape; default <DATA_DIR>/metrics in the embedded mode"
        ),
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description=(
            "A worker serves /metrics on this port (for workers that share no "
            "PROMETHEUS_MULTIPROC_DIR with a web process); unset: none"
        ),
    )
    metrics_host: str = Field("127.0.0.1", description="Address of the worker's METRICS_PORT")
    admin_athlete_ids: str = Field(
        "",
        description=(
            "Comma-separated fitcoach athlete ids (shown on each athlete's settings page) "
            "allowed to see /admin"
        ),
    )
    admin_token: str = Field(
        "", description="Bearer token that opens /admin without a session (operators' tools)"
    )

    @field_validator("strava_data_retention_days", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: Any) -> Any:
        # An empty variable (as compose files write it) means "unset", not an error.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("prometheus_multiproc_dir", "metrics_port", mode="before")
    @classmethod
    def _unset_when_blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_docs", mode="before")
    @classmethod
    def _docs_unset_when_blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("strava_webhook_callback_secret")
    @classmethod
    def _path_secrets(cls, value: str) -> str:
        for part in (part.strip() for part in value.split(",")):
            if part and not CALLBACK_SECRET.fullmatch(part):
                raise ValueError(
                    "each secret must be at least 16 letters, digits, '-' or '_' (it is part "
                    "of a URL; make one with `fitcoach keygen --webhook`)"
                )
        return value

    @field_validator("admin_athlete_ids")
    @classmethod
    def _athlete_id_list(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() and not part.strip().isdigit():
                raise ValueError(f"{part.strip()!r} is not an athlete id")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        for part in (part.strip() for part in value.split(",")):
            if not part or part == "*" or part.startswith("unix:"):
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as error:
                raise ValueError(
                    f"{part!r} is not an IP address or network (e.g. 10.0.0.0/8), '*' or unix:"
                ) from error
        return value

    @field_validator("strava_scheduled_share", "strava_webhook_share")
    @classmethod
    def _shares_rise_with_priority(cls, value: float, info: ValidationInfo) -> float:
        # A lower priority with a larger share would eat the reserve of the one above it.
        below = {
            "strava_scheduled_share": "strava_backfill_share",
            "strava_webhook_share": "strava_scheduled_share",
        }[str(info.field_name)]
        lower = info.data.get(below)
        if isinstance(lower, float | int) and value < lower:
            raise ValueError(
                f"must be at least {below.upper()} ({lower}): a higher priority may never "
                "use less of a window than a lower one"
            )
        return value

    @model_validator(mode="after")
    def _redis_tls(self) -> Settings:
        # Every Redis client of fitcoach is made from REDIS_URL, so the choice is written
        # into the URL once here (redis-py reads ssl_cert_reqs from its query).
        if self.redis_verify_tls or not self.redis_url.startswith("rediss://"):
            return self
        parts = urlsplit(self.redis_url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "ssl_cert_reqs"]
        query.append(("ssl_cert_reqs", "none"))
        self.redis_url = urlunsplit(parts._replace(query=urlencode(query)))
        return self

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in ("json", "text"):
            raise ValueError("must be 'json' or 'text'")
        return value

    @property
    def embedded(self) -> bool:
        return self.fitcoach_mode is Mode.EMBEDDED

    @property
    def inbox_dir(self) -> Path:
        """Where athletes' files wait to be imported (IMPORT_INBOX_DIR, else DATA_DIR/inbox)."""
        return self.import_inbox_dir or self.data_dir / "inbox"

    @cached_property
    def database(self) -> URL:
        """The database URL, normalised to the psycopg 3 driver for PostgreSQL."""
        raw = self.database_url or f"sqlite:///{(self.data_dir / 'fitcoach.db').as_posix()}"
        return parse_database_url(raw)

    @cached_property
    def fernet_keys(self) -> list[str]:
        return [key.strip() for key in self.token_encryption_keys.split(",") if key.strip()]

    @property
    def callback_secrets(self) -> list[str]:
        """The webhook callback's path secrets, newest (the one to register) first."""
        return [
            part.strip() for part in self.strava_webhook_callback_secret.split(",") if part.strip()
        ]

    @property
    def oidc_configured(self) -> bool:
        """OpenID Connect sign-in is offered (issuer, client id and secret all set)."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @property
    def serves_api_docs(self) -> bool:
        return self.embedded if self.api_docs is None else self.api_docs

    @cached_property
    def admin_ids(self) -> frozenset[int]:
        return frozenset(int(part) for part in self.admin_athlete_ids.split(",") if part.strip())


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
                # The callback's path is what tells Strava's deliveries from forged ones.
                ("STRAVA_WEBHOOK_CALLBACK_SECRET", settings.strava_webhook_callback_secret),
                ("DATABASE_URL", settings.database_url),
                # Web and worker processes on several machines meet only in Redis (queue,
                # budget counters); without it each would keep a queue of its own.
                ("REDIS_URL", settings.redis_url),
                # The default (127.0.0.1) would send every athlete's OAuth redirect and
                # Strava's webhooks to the wrong place.
                ("PUBLIC_URL", "public_url" in settings.model_fields_set),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"{', '.join(missing)} must be set in production mode "
                "(generate keys with `fitcoach keygen`, the webhook secret with "
                "`fitcoach keygen --webhook`; PUBLIC_URL is the https:// address athletes open)"
            )
    check_public_url(settings.public_url, production=not settings.embedded)
    check_oidc(settings)
    for key in settings.fernet_keys:
        try:
            Fernet(key)
        except ValueError as error:
            raise ConfigError(
                "TOKEN_ENCRYPTION_KEYS holds a key that is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `fitcoach keygen`)"
            ) from error
    return settings


def check_oidc(settings: Settings) -> None:
    """OpenID Connect sign-in needs the issuer, the client id and the secret together: one
    of them alone is a half-made configuration, refused at start rather than at a login."""
    parts = {
        "OIDC_ISSUER": settings.oidc_issuer,
        "OIDC_CLIENT_ID": settings.oidc_client_id,
        "OIDC_CLIENT_SECRET": settings.oidc_client_secret,
    }
    missing = [name for name, value in parts.items() if not value]
    if missing and len(missing) < len(parts):
        raise ConfigError(
            f"{', '.join(missing)} must be set too for OpenID Connect sign-in "
            "(or unset all three OIDC_ settings to go without it)"
        )
    issuer = urlsplit(settings.oidc_issuer)
    if settings.oidc_issuer and (issuer.scheme not in ("https", "http") or not issuer.netloc):
        raise ConfigError(
            f"OIDC_ISSUER must be the identity provider's issuer URL, like "
            f"https://login.example.com/realms/main (got {settings.oidc_issuer!r})"
        )


def check_public_url(value: str, production: bool) -> None:
    """PUBLIC_URL is where Strava sends athletes back and posts webhooks: an absolute URL.

    Production wants https (session cookies are then Secure) except on this machine itself,
    where a smoke test or a first look at the containers runs on plain http.
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"PUBLIC_URL must be an absolute http(s) URL such as https://fitcoach.example.com "
            f"(got {value!r})"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_URL must have no query or fragment (got {value!r})")
    if production and parts.scheme != "https" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"PUBLIC_URL must be https:// in production mode (got {value!r}); put fitcoach "
            "behind the host's TLS or a reverse proxy that terminates it"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
            "webhook_callback_secret": secrets.token_urlsafe(24),
        }
        _write_secrets(path, stored, create=True)
    if "webhook_callback_secret" not in stored:
        # A data directory from before the callback had a secret in its path.
        stored["webhook_callback_secret"] = secrets.token_urlsafe(24)
        _write_secrets(path, stored, create=False)
    if not settings.secret_key:
        settings.secret_key = stored["secret_key"]
    if not settings.strava_webhook_verify_token:
        settings.strava_webhook_verify_token = stored.get("webhook_verify_token", "")
    if not settings.strava_webhook_callback_secret:
        settings.strava_webhook_callback_secret = stored["webhook_callback_secret"]
    if not settings.token_encryption_keys:
        settings.token_encryption_keys = stored["token_encryption_keys"]
        settings.__dict__.pop("fernet_keys", None)


def _write_secrets(path: Path, stored: dict[str, str], create: bool) -> None:
    """Write the secrets file, readable by its owner only; a rewrite replaces it whole."""
    target = path if create else path.with_suffix(".new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if create else os.O_TRUNC)
        descriptor = os.open(target, flags, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(stored, handle)
        if not create:
            os.replace(target, path)
    except OSError as error:
        raise ConfigError(f"DATA_DIR: cannot write {path}: {error}") from error
