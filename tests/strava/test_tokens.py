from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from fitcoach import migrations
from fitcoach.core.crypto import TokenDecryptionError, key_ring
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Athlete
from fitcoach.strava.repository import Tokens, load_tokens, reencrypt_all, save_tokens

ACCESS = "a1b2c3d4e5f6access0123456789abcdef01234567"
REFRESH = "f6e5d4c3b2a1refresh0123456789abcdef0123456"
TOKENS = Tokens(ACCESS, REFRESH, datetime(2026, 11, 25, 20, tzinfo=UTC), "read,activity:read_all")


def test_tokens_are_not_readable_in_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    engine = make_engine(make_url(f"sqlite:///{path}"))
    migrations.upgrade(engine)
    ring = key_ring([Fernet.generate_key().decode()])
    factory = session_factory(engine)
    with transaction(factory) as session:
        session.add(Athlete(id=1, firstname="Ada"))
        session.flush()
        save_tokens(session, ring, 1, TOKENS)
    with factory() as session:
        assert load_tokens(session, ring, 1) == TOKENS
    engine.dispose()  # checkpoints the WAL into the main file
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert ACCESS.encode() not in everything
    assert REFRESH.encode() not in everything


def test_rotated_key_still_decrypts_old_tokens(tmp_path: Path) -> None:
    engine = make_engine(make_url(f"sqlite:///{tmp_path / 'rot.db'}"))
    migrations.upgrade(engine)
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    factory = session_factory(engine)
    with transaction(factory) as session:
        session.add(Athlete(id=1, firstname="Ada"))
        session.flush()
        save_tokens(session, key_ring([old_key]), 1, TOKENS)

    rotated_ring = key_ring([new_key, old_key])
    with factory() as session:
        assert load_tokens(session, rotated_ring, 1) == TOKENS
    with transaction(factory) as session:
        assert reencrypt_all(session, rotated_ring) == 1
    # After re-encryption the old key can be retired.
    with factory() as session:
        assert load_tokens(session, key_ring([new_key]), 1) == TOKENS
        with pytest.raises(TokenDecryptionError, match="TOKEN_ENCRYPTION_KEYS"):
            load_tokens(session, key_ring([old_key]), 1)
    engine.dispose()
