from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from fitcoach import __version__
from fitcoach.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("fitcoach: error: ")
    return lines[0]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"fitcoach {__version__}\n", "")


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0 and "serve" in out and "db" in out


def test_db_upgrade_then_current(
    capsys: pytest.CaptureFixture[str], isolated_settings: Path
) -> None:
    code, out, _ = run(capsys, "db", "current")
    assert code == 0 and out.startswith("empty (behind head")
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, _ = run(capsys, "db", "current")
    assert code == 0 and "(at head)" in out
    assert (isolated_settings / "fitcoach.db").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("nope",), "No such command"),
        (("serve", "--port", "0"), "--port"),
        (("serve", "--port", "http"), "--port"),
        (("serve", "--workers", "0"), "--workers"),
    ],
)
def test_bad_arguments_are_one_line(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert expected in one_line_error(err)


def test_malformed_database_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/fit")
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 1 and "DATABASE_URL" in one_line_error(err)


def test_missing_secret_in_production(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FITCOACH_MODE", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1/db")
    code, _, err = run(capsys, "serve")
    assert code == 1 and "SECRET_KEY" in one_line_error(err)


def test_unreachable_postgres(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback: nothing listens there, the refusal is immediate.
    monkeypatch.setenv("DATABASE_URL", "postgresql://fitcoach@127.0.0.1:9/fitcoach")
    code, _, err = run(capsys, "db", "upgrade")
    line = one_line_error(err)
    assert code == 1 and line.startswith("fitcoach: error: DATABASE_URL: cannot reach")


def test_production_refuses_an_old_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, postgres_url: URL
) -> None:
    monkeypatch.setenv("FITCOACH_MODE", "production")
    monkeypatch.setenv("DATABASE_URL", postgres_url.render_as_string(hide_password=False))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("PUBLIC_URL", "https://fitcoach.example.com")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", "Y" * 43 + "=")
    monkeypatch.setenv("STRAVA_WEBHOOK_CALLBACK_SECRET", "c" * 32)
    code, _, err = run(capsys, "serve")
    assert code == 1 and "run `fitcoach db upgrade` first" in one_line_error(err)


def test_keys_rotate_reencrypts_tokens_so_old_keys_can_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from cryptography.fernet import Fernet

    from fitcoach.core.crypto import key_ring
    from fitcoach.core.db import make_engine, session_factory, transaction
    from fitcoach.models import Athlete
    from fitcoach.strava.repository import Tokens, load_tokens, save_tokens

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", old)
    assert main(["db", "upgrade"]) == 0
    engine = make_engine(make_url(url))
    tokens = Tokens("access", "refresh", datetime(2030, 1, 1, tzinfo=UTC), "read")
    with transaction(session_factory(engine)) as session:
        session.add(Athlete(id=5, firstname="Ada"))
        session.flush()
        save_tokens(session, key_ring([old]), 5, tokens)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", f"{new},{old}")
    assert main(["keys", "rotate"]) == 0
    assert "1 athletes' tokens re-encrypted" in capsys.readouterr().out
    with session_factory(engine)() as session:
        assert load_tokens(session, key_ring([new]), 5) == tokens
    engine.dispose()


def test_keygen_makes_a_webhook_callback_secret_the_settings_accept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fitcoach.core.settings import load_settings

    code, out, _ = run(capsys, "keygen", "--webhook")
    assert code == 0 and len(out.strip()) >= 32
    monkeypatch.setenv("STRAVA_WEBHOOK_CALLBACK_SECRET", out.strip())
    assert load_settings().callback_secrets == [out.strip()]
