"""activities: multisport group, the key shared by the legs of one multisport file

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("multisport_group", sa.String(length=64), nullable=True))
        batch.create_index("ix_activities_multisport_group", ["multisport_group"])


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.drop_index("ix_activities_multisport_group")
        batch.drop_column("multisport_group")
