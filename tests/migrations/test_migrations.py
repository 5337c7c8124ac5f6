from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.models import Base

TABLES = {
    "athletes",
    "oauth_tokens",
    "activities",
    "sync_states",
    "webhook_events",
    "api_usage",
    "app_settings",
    "activity_streams",
    "deletions",
    "import_jobs",
    "imported_files",
    "daily_loads",
    "training_plans",
    "plan_versions",
    "planned_workouts",
    "passkeys",
    "invitations",
    "mcp_tokens",
    "activity_curves",
    "declined_ftp",
    "oidc_identities",
}


def test_upgrade_downgrade_upgrade(database_url: URL) -> None:
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert migrations.current_revision(engine) == migrations.head_revision()

        migrations.downgrade(engine, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        assert migrations.current_revision(engine) is None

        migrations.upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert migrations.current_revision(engine) == migrations.head_revision()
    finally:
        engine.dispose()


def test_models_match_migrations(database_url: URL) -> None:
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_activity_index_serves_newest_first(database_url: URL) -> None:
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine)
        indexes = {index["name"]: index for index in inspect(engine).get_indexes("activities")}
        assert indexes["ix_activities_athlete_start"]["column_names"] == [
            "athlete_id",
            "start_date",
        ]
    finally:
        engine.dispose()
