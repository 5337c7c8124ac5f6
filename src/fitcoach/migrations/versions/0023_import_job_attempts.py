"""import job attempts: how many times a worker started the job, so that it always ends

Revision ID: 0023_import_job_attempts
Revises: 0022_oidc_identities
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_import_job_attempts"
down_revision: str | None = "0022_oidc_identities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Jobs from before count as never started: a stalled one gets its attempts from now.
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("attempts")
