"""athletes' session version: logins end when it changes

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows of before carry 0; the sessions issued before carry no version and end anyway.
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(
            sa.Column("session_version", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("athletes") as batch:
        batch.drop_column("session_version")
