"""training plans: the plan, every version of it, and the sessions of the current one

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fitcoach.models.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "training_plans",
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("goal_name", sa.String(length=255), nullable=True),
        sa.Column("goal_date", sa.Date(), nullable=True),
        sa.Column("goal_priority", sa.String(length=1), nullable=True),
        sa.Column("goal_sport", sa.String(length=16), nullable=True),
        sa.Column("hours", _JSON, nullable=False),
        sa.Column("sports", _JSON, nullable=False),
        sa.Column("locks", _JSON, nullable=False),
        sa.Column("feed_token", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            fitcoach.models.types.UTCDateTime(),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            fitcoach.models.types.UTCDateTime(),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_training_plans_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_training_plans")),
        sa.UniqueConstraint("feed_token", name=op.f("uq_training_plans_feed_token")),
    )
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("made_at", fitcoach.models.types.UTCDateTime(), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changes", _JSON, nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_plan_versions_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint(
            "athlete_id", "version", name=op.f("uq_plan_versions_athlete_id_version")
        ),
    )
    op.create_table(
        "planned_workouts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sport", sa.String(length=16), nullable=False),
        sa.Column("workout_type", sa.String(length=32), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("planned_load", sa.Float(), nullable=False),
        sa.Column("planned_duration_s", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_planned_workouts_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_workouts")),
    )
    op.create_index("ix_planned_workouts_athlete_day", "planned_workouts", ["athlete_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_planned_workouts_athlete_day", table_name="planned_workouts")
    op.drop_table("planned_workouts")
    op.drop_table("plan_versions")
    op.drop_table("training_plans")
