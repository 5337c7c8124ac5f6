"""Migration 0011 on a database of today's schema with data in it, on SQLite and on
PostgreSQL: accounts, their Strava connection and activities carry over untouched, and
the new passkeys and invitations tables take rows (a passkey goes with its account)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.accounts.passwords import hash_password
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, Athlete, Invitation, Passkey, StravaConnection

START = datetime(2026, 5, 4, 7, tzinfo=UTC)


def _fill_schema_0010(engine: sa.Engine) -> tuple[int, int]:
    """A Strava-connected account with an activity, and one signing in with a password."""
    with engine.begin() as connection:
        for firstname, email, password in (
            ("Ada", None, None),
            ("Bea", "bea@example.com", hash_password("bea's passphrase")),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO athletes (firstname, lastname, email, password_hash, "
                    "session_version, created_at, updated_at) VALUES (:first, '', :email, "
                    ":password, 7, :now, :now)"
                ),
                {"first": firstname, "email": email, "password": password, "now": START},
            )
        ada, bea = connection.execute(sa.text("SELECT id FROM athletes ORDER BY id")).scalars()
        connection.execute(
            sa.text(
                "INSERT INTO strava_connections (athlete_id, strava_athlete_id, firstname, "
                "lastname, connected, connected_at) VALUES (:id, 555, 'Ada', '', true, :now)"
            ),
            {"id": ada, "now": START},
        )
        connection.execute(
            sa.text(
                "INSERT INTO activities (athlete_id, strava_id, name, sport_type, start_date, "
                "start_day, moving_time_s, elapsed_time_s, distance_m, elevation_gain_m, "
                "device_watts, trainer, commute, manual, private, source, raw, fetched_at, "
                "updated_at) VALUES (:athlete, 9001, 'Ride', 'Ride', :start, :day, 3600, "
                "3600, 30000, 100, false, false, false, false, false, 'strava_api', '{}', "
                ":start, :start)"
            ),
            {"athlete": ada, "start": START, "day": date(2026, 5, 4)},
        )
    return ada, bea


def test_accounts_carry_over_and_take_passkeys_and_invitations(database_url: URL) -> None:
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, "0010")
        ada, bea = _fill_schema_0010(engine)
        # The migration under test, not the head: later migrations add tables of their own.
        migrations.upgrade(engine, "0011_accounts_credentials")
        assert migrations.current_revision(engine) == "0011_accounts_credentials"
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            strava = session.get(StravaConnection, ada)
            assert strava is not None and strava.strava_athlete_id == 555
            activity = session.scalars(sa.select(Activity)).one()
            assert (activity.athlete_id, activity.strava_id) == (ada, 9001)
            account = session.get(Athlete, bea)
            assert account is not None and account.email == "bea@example.com"
            assert account.session_version == 7
            session.add(Passkey(athlete_id=bea, credential_id=b"\x01\x02", public_key=b"k"))
            session.add(
                Invitation(
                    token_sha256="a" * 64,
                    created_at=START,
                    expires_at=START + timedelta(days=14),
                )
            )
        with transaction(sessions) as session:
            session.execute(sa.delete(Athlete).where(Athlete.id == bea))
        with sessions() as session:
            assert session.scalars(sa.select(Passkey)).all() == []
            assert session.scalars(sa.select(Invitation.token_sha256)).all() == ["a" * 64]
        migrations.downgrade(engine, "0010")
        assert not {"passkeys", "invitations"} & set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
