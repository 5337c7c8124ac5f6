"""accounts' identities at the operator's OpenID Connect provider (issuer and subject)

Revision ID: 0022_oidc_identities
Revises: 0021_import_job_activities
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fitcoach.models.types import UTCDateTime

revision: str = "0022_oidc_identities"
down_revision: str | None = "0021_import_job_activities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWN_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "oidc_identities",
        sa.Column("id", OWN_ID, nullable=False),
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_oidc_identities_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_oidc_identities_issuer_subject")),
    )
    op.create_index(op.f("ix_oidc_identities_athlete_id"), "oidc_identities", ["athlete_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_identities_athlete_id"), table_name="oidc_identities")
    op.drop_table("oidc_identities")
