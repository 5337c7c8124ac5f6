"""plan versions: the plan document stored zlib-compressed (a year's plan is ~180 KB of
JSON, ~8 KB packed, and a version is kept most days)

Revision ID: 0018_plan_documents_packed
Revises: 0017_mcp_tokens
"""

import json
import zlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018_plan_documents_packed"
down_revision: str | None = "0017_mcp_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _table(column: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table("plan_versions", sa.column("id", sa.BigInteger()), column)


def upgrade() -> None:
    with op.batch_alter_table("plan_versions") as batch:
        batch.add_column(sa.Column("packed_document", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    old = _table(sa.column("document", _JSON))
    new = _table(sa.column("packed_document", sa.LargeBinary()))
    for row_id, document in connection.execute(sa.select(old.c.id, old.c.document)).all():
        text = document if isinstance(document, str) else json.dumps(document)
        packed = zlib.compress(json.dumps(json.loads(text), separators=(",", ":")).encode(), 6)
        connection.execute(sa.update(new).where(new.c.id == row_id).values(packed_document=packed))
    with op.batch_alter_table("plan_versions") as batch:
        batch.drop_column("document")
        batch.alter_column("packed_document", existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_versions") as batch:
        batch.add_column(sa.Column("document", _JSON, nullable=True))
    connection = op.get_bind()
    packed = _table(sa.column("packed_document", sa.LargeBinary()))
    plain = _table(sa.column("document", _JSON))
    for row_id, data in connection.execute(sa.select(packed.c.id, packed.c.packed_document)).all():
        document = json.loads(zlib.decompress(data))
        connection.execute(sa.update(plain).where(plain.c.id == row_id).values(document=document))
    with op.batch_alter_table("plan_versions") as batch:
        batch.drop_column("packed_document")
        batch.alter_column("document", existing_type=_JSON, nullable=False)
