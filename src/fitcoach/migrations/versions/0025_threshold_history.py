"""threshold history: dated thresholds per athlete, and the progress of a load recompute

Each athlete's FTP, threshold heart rate and threshold run pace set today become an entry
in force from the start (1900-01-01), so every stored load keeps the value it was
computed with.

Revision ID: 0025_threshold_history
Revises: 0024_sync_resilience
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from fitcoach.models.types import UTCDateTime

revision: str = "0025_threshold_history"
down_revision: str | None = "0024_sync_resilience"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The seeded entries hold from before any recording: the values already in use everywhere.
FROM_THE_START = date(1900, 1, 1)
_SEEDED = (
    ("ftp", "ftp_watts"),
    ("threshold_hr", "threshold_hr"),
    ("threshold_pace", "threshold_pace_s_per_km"),
)


def upgrade() -> None:
    history = op.create_table(
        "threshold_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_threshold_history_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threshold_history")),
        sa.UniqueConstraint(
            "athlete_id",
            "kind",
            "effective_from",
            name=op.f("uq_threshold_history_athlete_id_kind_effective_from"),
        ),
    )
    op.create_table(
        "load_recomputes",
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_load_recomputes_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_load_recomputes")),
    )
    athletes = sa.table(
        "athletes",
        sa.column("id", sa.BigInteger()),
        *(sa.column(column, sa.Float()) for _, column in _SEEDED),
    )
    for kind, column in _SEEDED:
        value = athletes.c[column]
        op.execute(
            history.insert().from_select(
                ["athlete_id", "kind", "value", "effective_from", "source"],
                sa.select(
                    athletes.c.id,
                    sa.literal(kind, sa.String(32)),
                    value,
                    sa.literal(FROM_THE_START, sa.Date()),
                    sa.literal("setting", sa.Text()),
                ).where(value.is_not(None)),
            )
        )


def downgrade() -> None:
    op.drop_table("load_recomputes")
    op.drop_table("threshold_history")
