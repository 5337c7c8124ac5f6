"""declined threshold proposals: a threshold heart rate or run pace the athlete declined

Revision ID: 0026_declined_thresholds
Revises: 0025_threshold_history
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_declined_thresholds"
down_revision: str | None = "0025_threshold_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "declined_thresholds",
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_declined_thresholds_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", "kind", name=op.f("pk_declined_thresholds")),
    )


def downgrade() -> None:
    op.drop_table("declined_thresholds")
