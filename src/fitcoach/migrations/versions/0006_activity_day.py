"""activity day; webhook events lose the never-written error column

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _day(value: object) -> date:
    # SQLite hands back the stored text, PostgreSQL a datetime.
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("start_day", sa.Date(), nullable=True))
    activities = sa.table(
        "activities",
        sa.column("id", sa.BigInteger()),
        sa.column("start_date", sa.DateTime()),
        sa.column("start_date_local", sa.DateTime()),
        sa.column("start_day", sa.Date()),
    )
    connection = op.get_bind()
    # Both columns hold UTC-marked times (the local one is the wall clock marked UTC), so
    # the day is the date part of whichever is set, on SQLite and PostgreSQL alike.
    last = None
    while True:
        query = (
            sa.select(activities.c.id, activities.c.start_date_local, activities.c.start_date)
            .order_by(activities.c.id)
            .limit(BATCH)
        )
        if last is not None:
            query = query.where(activities.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            break
        connection.execute(
            activities.update()
            .where(activities.c.id == sa.bindparam("row_id"))
            .values(start_day=sa.bindparam("day")),
            [{"row_id": row[0], "day": _day(row[1] or row[2])} for row in rows],
        )
        last = rows[-1][0]
    with op.batch_alter_table("activities") as batch:
        batch.alter_column("start_day", existing_type=sa.Date(), nullable=False)
        batch.create_index("ix_activities_athlete_day", ["athlete_id", "start_day"])
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("error")


def downgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch:
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
    with op.batch_alter_table("activities") as batch:
        batch.drop_index("ix_activities_athlete_day")
        batch.drop_column("start_day")
