"""day-load index: the load history read from the index alone

The dashboard, the chart and the coach sum each day's load of an athlete. With the index on
(athlete_id, start_day) every activity's row was visited for its load: about one page per
activity, 294 pages for an athlete with 1,000 activities. With the load in the index the
sum is read from about a dozen index pages (an index-only scan on PostgreSQL, a covering
index on SQLite). Building it takes about 1.5 s per million activities.

Revision ID: 0029_day_load_index
Revises: 0028_inbox_attempts
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029_day_load_index"
down_revision: str | None = "0028_inbox_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_activities_athlete_day", table_name="activities")
    op.create_index("ix_activities_athlete_day", "activities", ["athlete_id", "start_day", "load"])


def downgrade() -> None:
    op.drop_index("ix_activities_athlete_day", table_name="activities")
    op.create_index("ix_activities_athlete_day", "activities", ["athlete_id", "start_day"])
