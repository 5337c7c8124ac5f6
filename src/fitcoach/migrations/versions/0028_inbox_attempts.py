"""inbox attempts: the content hash of the inbox file a job imports, while the attempt counts

Revision ID: 0028_inbox_attempts
Revises: 0027_backfill_progress
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_inbox_attempts"
down_revision: str | None = "0027_backfill_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Jobs from before count for no file: an inbox file gets its attempts from now.
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("inbox_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("inbox_sha256")
