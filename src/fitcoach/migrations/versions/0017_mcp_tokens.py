"""mcp_tokens: the tokens athletes give their own AI assistants

Revision ID: 0017_mcp_tokens
Revises: 0011_accounts_credentials
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fitcoach.models.types import UTCDateTime

revision: str = "0017_mcp_tokens"
down_revision: str | None = "0011_accounts_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mcp_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column(
            "athlete_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "athletes.id", ondelete="CASCADE", name="fk_mcp_tokens_athlete_id_athletes"
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mcp_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_mcp_tokens_token_hash"),
    )
    op.create_index("ix_mcp_tokens_athlete_id", "mcp_tokens", ["athlete_id"])


def downgrade() -> None:
    op.drop_index("ix_mcp_tokens_athlete_id", table_name="mcp_tokens")
    op.drop_table("mcp_tokens")
