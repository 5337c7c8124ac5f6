"""Migration 0007 on a database of the previous schema with data in it, on SQLite and on
PostgreSQL: athletes become accounts with a Strava connection, activities get ids of their
own with Strava ids kept where Strava's API gave them and claims where a file named one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, Athlete, OAuthToken, StravaConnection

STRAVA_ATHLETE = 123_456_789
API_ACTIVITY, ARCHIVE_ACTIVITY, FILE_ACTIVITY = 10_000_000_001, 10_000_000_002, -77


def _fill_previous_schema(engine: sa.Engine) -> None:
    start = datetime(2026, 1, 5, 7, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO athletes (id, firstname, lastname, city, connected, "
                "disconnected_reason, ftp_watts, created_at, updated_at) VALUES "
                "(:id, 'Ada', 'Byron', 'London', :connected, NULL, 250, :now, :now)"
            ),
            {"id": STRAVA_ATHLETE, "connected": True, "now": start},
        )
        connection.execute(
            sa.text(
                "INSERT INTO oauth_tokens (athlete_id, access_token, refresh_token, "
                "expires_at, scopes, updated_at) VALUES (:id, :a, :r, :now, 'read', :now)"
            ),
            {"id": STRAVA_ATHLETE, "a": b"x", "r": b"y", "now": start},
        )
        for activity_id, source in (
            (API_ACTIVITY, "strava_api"),
            (ARCHIVE_ACTIVITY, "archive"),
            (FILE_ACTIVITY, "file"),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO activities (id, athlete_id, name, sport_type, start_date, "
                    "start_day, moving_time_s, elapsed_time_s, distance_m, elevation_gain_m, "
                    "device_watts, trainer, commute, manual, private, source, raw, fetched_at, "
                    "updated_at) VALUES (:id, :athlete, 'Ride', 'Ride', :start, :day, 3600, "
                    "3600, 30000, 100, false, false, false, false, false, :source, '{}', "
                    ":start, :start)"
                ),
                {
                    "id": activity_id,
                    "athlete": STRAVA_ATHLETE,
                    "start": start,
                    "day": date(2026, 1, 5),
                    "source": source,
                },
            )


def test_existing_athletes_and_activities_carry_over(database_url: URL) -> None:
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, "0006")
        _fill_previous_schema(engine)
        migrations.upgrade(engine)
        sessions = session_factory(engine)
        with sessions() as session:
            athlete = session.get(Athlete, STRAVA_ATHLETE)
            assert athlete is not None and athlete.firstname == "Ada"
            assert athlete.ftp_watts == 250 and athlete.email is None
            connection = session.get(StravaConnection, STRAVA_ATHLETE)
            assert connection is not None
            assert connection.strava_athlete_id == STRAVA_ATHLETE and connection.connected
            assert connection.city == "London"
            assert session.get(OAuthToken, STRAVA_ATHLETE) is not None
            ids = {
                row.id: (row.strava_id, row.claimed_strava_id)
                for row in session.scalars(sa.select(Activity))
            }
        assert ids == {
            API_ACTIVITY: (API_ACTIVITY, None),
            ARCHIVE_ACTIVITY: (None, ARCHIVE_ACTIVITY),
            FILE_ACTIVITY: (None, None),
        }
        # New accounts and activities get ids of their own, above every id held.
        with transaction(sessions) as session:
            fresh = Athlete(firstname="New")
            session.add(fresh)
            session.flush()
            assert fresh.id > STRAVA_ATHLETE
            activity = Activity(
                athlete_id=fresh.id,
                name="Run",
                sport_type="Run",
                start_date=datetime(2026, 2, 1, tzinfo=UTC),
                raw={},
            )
            session.add(activity)
            session.flush()
            assert activity.id > ARCHIVE_ACTIVITY and activity.strava_id is None
    finally:
        engine.dispose()
