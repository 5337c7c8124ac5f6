"""activity curves: each activity's best efforts, computed once when its streams are stored

Revision ID: 0019_activity_curves
Revises: 0018_plan_documents_packed
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import fitcoach.models.types

revision: str = "0019_activity_curves"
down_revision: str | None = "0018_plan_documents_packed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Existing activities get their curves from `fitcoach curves fill`, not here: a
    # migration that parses every stored stream would hold a deploy for minutes.
    op.create_table(
        "activity_curves",
        sa.Column("activity_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("start_date", fitcoach.models.types.UTCDateTime(), nullable=False),
        sa.Column("points", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_curves_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_activity_curves_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "kind", name=op.f("pk_activity_curves")),
    )
    op.create_index(
        "ix_activity_curves_athlete_kind_start",
        "activity_curves",
        ["athlete_id", "kind", "start_date"],
    )


def downgrade() -> None:
    op.drop_index("ix_activity_curves_athlete_kind_start", table_name="activity_curves")
    op.drop_table("activity_curves")
