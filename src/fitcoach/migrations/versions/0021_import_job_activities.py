"""import job activities: the activities each import stored or merged, for its links

Revision ID: 0021_import_job_activities
Revises: 0020_ftp_declined
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_import_job_activities"
down_revision: str | None = "0020_ftp_declined"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Earlier jobs stored nothing of the kind: they keep an empty list and no links.
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(
            sa.Column("activity_ids", _JSON, nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("activity_ids")
