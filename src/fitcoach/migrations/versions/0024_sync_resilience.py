"""sync resilience: when the next backfill page or event try is due, activities Strava
sent that could not be stored, and why a push event could not be handled

Revision ID: 0024_sync_resilience
Revises: 0023_import_job_attempts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fitcoach.models.types

revision: str = "0024_sync_resilience"
down_revision: str | None = "0023_import_job_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWN_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Existing unfinished backfills have none: the periodic resume takes them as due.
    with op.batch_alter_table("sync_states") as batch:
        batch.add_column(
            sa.Column("backfill_next_at", fitcoach.models.types.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(
            sa.Column("next_try_at", fitcoach.models.types.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    op.create_table(
        "skipped_activities",
        sa.Column("id", OWN_ID, nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("strava_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("skipped_at", fitcoach.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_skipped_activities_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skipped_activities")),
        sa.UniqueConstraint(
            "athlete_id", "strava_id", name=op.f("uq_skipped_activities_athlete_id_strava_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("skipped_activities")
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("last_error")
        batch.drop_column("next_try_at")
    with op.batch_alter_table("sync_states") as batch:
        batch.drop_column("backfill_next_at")
