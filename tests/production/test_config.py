"""Production configuration: what is checked at start, and what `serve` / `worker` pass on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from fitcoach import cli
from fitcoach.core.errors import ConfigError
from fitcoach.core.settings import load_settings


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every setting production requires, set to something valid."""
    for name, value in {
        "FITCOACH_MODE": "production",
        "DATABASE_URL": "postgresql://fitcoach@db.internal/fitcoach",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "PUBLIC_URL": "https://fitcoach.example.com",
        "SECRET_KEY": "s" * 40,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "STRAVA_WEBHOOK_CALLBACK_SECRET": "c" * 32,
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_a_complete_production_configuration_loads(production: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert not settings.embedded and settings.public_url == "https://fitcoach.example.com"


@pytest.mark.parametrize(
    "missing",
    ["REDIS_URL", "PUBLIC_URL", "SECRET_KEY", "DATABASE_URL", "STRAVA_WEBHOOK_CALLBACK_SECRET"],
)
def test_production_names_each_missing_setting(
    production: pytest.MonkeyPatch, missing: str
) -> None:
    production.delenv(missing)
    with pytest.raises(ConfigError, match=rf"^{missing} must be set in production mode"):
        load_settings()


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://fitcoach.example.com", True),
        ("https://fitcoach.example.com/", True),
        ("http://127.0.0.1:8000", True),  # this machine: smoke tests, a first look
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://fitcoach.example.com", False),  # cookies and tokens in the clear
        ("fitcoach.example.com", False),
        ("https://fitcoach.example.com/?next=1", False),
        ("ftp://fitcoach.example.com", False),
    ],
)
def test_public_url_must_be_https_in_production(
    production: pytest.MonkeyPatch, url: str, accepted: bool
) -> None:
    production.setenv("PUBLIC_URL", url)
    if accepted:
        assert load_settings().public_url == url
    else:
        with pytest.raises(ConfigError, match=r"^PUBLIC_URL"):
            load_settings()


def test_a_relative_public_url_is_refused_in_the_embedded_mode_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "/fitcoach")
    with pytest.raises(ConfigError, match=r"^PUBLIC_URL must be an absolute"):
        load_settings()


@pytest.mark.parametrize("value", ["*", "10.0.0.0/8", "172.17.0.1, fd00::/8", ""])
def test_forwarded_allow_ips_takes_addresses_and_networks(
    production: pytest.MonkeyPatch, value: str
) -> None:
    production.setenv("FORWARDED_ALLOW_IPS", value)
    assert load_settings().forwarded_allow_ips == value


def test_forwarded_allow_ips_refuses_a_host_name(production: pytest.MonkeyPatch) -> None:
    production.setenv("FORWARDED_ALLOW_IPS", "proxy.internal")
    with pytest.raises(ConfigError, match=r"^FORWARDED_ALLOW_IPS.*'proxy.internal'"):
        load_settings()


def test_redis_certificate_check_can_be_turned_off_for_self_signed_hosts(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("REDIS_URL", "rediss://:secret@redis.example.com:6380/0?db=2")
    assert load_settings().redis_url == "rediss://:secret@redis.example.com:6380/0?db=2"
    production.setenv("REDIS_VERIFY_TLS", "false")
    assert load_settings().redis_url == (
        "rediss://:secret@redis.example.com:6380/0?db=2&ssl_cert_reqs=none"
    )
    production.setenv("REDIS_URL", "redis://redis.internal:6379/0")  # no TLS: untouched
    assert load_settings().redis_url == "redis://redis.internal:6379/0"


def test_serve_trusts_forwarded_headers_only_from_configured_proxies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **options: calls.append(options))
    monkeypatch.setattr(cli, "configure_logging", lambda *args: None)  # not this process's
    monkeypatch.setattr(cli, "_start_worker_process", lambda: None)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert cli.main(["serve"]) == 0
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8, 192.168.1.1")
    assert cli.main(["serve", "--port", "9124", "--workers", "2"]) == 0
    untrusted, trusted = calls
    assert (untrusted["port"], untrusted["workers"]) == (9123, 3)  # PORT, WEB_CONCURRENCY
    assert untrusted["proxy_headers"] is False
    assert (trusted["port"], trusted["workers"]) == (9124, 2)
    assert trusted["proxy_headers"] is True
    assert trusted["forwarded_allow_ips"] == ["10.0.0.0/8", "192.168.1.1"]
    assert trusted["timeout_graceful_shutdown"] == cli.SHUTDOWN_TIMEOUT_S


def test_worker_drains_on_sigterm_and_requeues_what_it_could_not_finish(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from huey.signals import SIGNAL_INTERRUPTED

    from fitcoach import worker

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'worker.db'}")
    monkeypatch.setattr(cli, "configure_logging", lambda *args: None)  # not this process's
    consumers: list[dict[str, Any]] = []
    handlers: dict[str, Any] = {}
    enqueued: list[Any] = []
    monkeypatch.setattr(worker, "resume_lost_work", lambda: None)
    # Not this process's metrics either: switching them to the multiprocess files would
    # outlive the test (the directory's variable goes with it) and break later ones.
    from fitcoach.monitoring import exporter

    monkeypatch.setattr(exporter, "configure_worker", lambda settings: None)

    class Consumer:
        def run(self) -> None:
            handlers[SIGNAL_INTERRUPTED]("interrupted", "a task cut short")

    def create_consumer(**options: Any) -> Consumer:
        consumers.append(options)
        return Consumer()

    def signal(name: str) -> Any:
        return lambda handler: handlers.setdefault(name, handler)

    monkeypatch.setattr(worker.huey, "create_consumer", create_consumer)
    monkeypatch.setattr(worker.huey, "signal", signal)
    monkeypatch.setattr(worker.huey, "enqueue", enqueued.append)
    assert cli.main(["worker", "--concurrency", "3"]) == 0
    assert cli.main(["worker", "--workers", "2"]) == 0  # the older spelling still works
    assert [options["workers"] for options in consumers] == [3, 2]
    assert all(options["graceful_signal"] == "TERM" for options in consumers)
    assert all(options["shutdown_timeout"] == cli.SHUTDOWN_TIMEOUT_S for options in consumers)
    assert enqueued == ["a task cut short", "a task cut short"]


def test_webhook_registration_needs_the_verify_token_the_web_answers_with(
    production: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    production.setenv("STRAVA_CLIENT_ID", "1")
    production.setenv("STRAVA_CLIENT_SECRET", "secret")
    assert cli.main(["webhooks", "register"]) == 1
    assert "STRAVA_WEBHOOK_VERIFY_TOKEN must be set" in capsys.readouterr().err
