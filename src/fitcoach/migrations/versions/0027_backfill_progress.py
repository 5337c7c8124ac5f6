"""backfill progress: when an athlete's backfill began and when their Strava account did

Revision ID: 0027_backfill_progress
Revises: 0026_declined_thresholds
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fitcoach.models.types import UTCDateTime

revision: str = "0027_backfill_progress"
down_revision: str | None = "0026_declined_thresholds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Backfills under way keep no start: their page says no time left until the next
    # connection (the count and the date reached are still shown).
    with op.batch_alter_table("sync_states") as batch:
        batch.add_column(sa.Column("backfill_started_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("history_starts_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_states") as batch:
        batch.drop_column("history_starts_at")
        batch.drop_column("backfill_started_at")
