"""declined FTP proposals: remembered so the same estimate is not proposed again

Revision ID: 0020_ftp_declined
Revises: 0019_activity_curves
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_ftp_declined"
down_revision: str | None = "0019_activity_curves"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "declined_ftp",
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("watts", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_declined_ftp_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_declined_ftp")),
    )


def downgrade() -> None:
    op.drop_table("declined_ftp")
