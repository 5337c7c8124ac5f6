"""accounts of fitcoach's own; Strava a connection; activities with ids of their own

Athletes keep their ids (for an athlete who came through Strava, the number equals their
Strava id; from now on it is fitcoach's id, and new accounts get the next ones). Their
Strava identity and profile move to ``strava_connections``. Activities keep their ids too;
the Strava id becomes ``strava_id`` for rows from Strava's API, and a Strava id that only
the athlete's own files named (an archive's) becomes ``claimed_strava_id``, to be confirmed
by the athlete's own API listing.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fitcoach.models.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWN_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _own_ids(table: str) -> None:
    """The table's integer primary key assigned by the database from now on, above every
    id it holds (SQLite: a rowid alias; PostgreSQL: a sequence)."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.alter_column(
                "id", existing_type=sa.BigInteger(), type_=OWN_ID, autoincrement=True
            )
        return
    sequence = f"{table}_id_seq"
    op.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence} OWNED BY {table}.id")
    highest = f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 0)"
    op.execute(f"SELECT setval('{sequence}', {highest} + 1, false)")
    op.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{sequence}')")


def upgrade() -> None:
    op.create_table(
        "strava_connections",
        sa.Column("athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("strava_athlete_id", sa.BigInteger(), nullable=False),
        sa.Column("firstname", sa.String(length=255), nullable=False),
        sa.Column("lastname", sa.String(length=255), nullable=False),
        sa.Column("profile_url", sa.Text(), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("disconnected_reason", sa.Text(), nullable=True),
        sa.Column(
            "connected_at",
            fitcoach.models.types.UTCDateTime(),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_strava_connections_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_strava_connections")),
        sa.UniqueConstraint(
            "strava_athlete_id", name=op.f("uq_strava_connections_strava_athlete_id")
        ),
    )
    # Every athlete so far came through Strava, with their Strava id as their id.
    op.execute(
        "INSERT INTO strava_connections (athlete_id, strava_athlete_id, firstname, lastname, "
        "profile_url, city, country, connected, disconnected_reason, connected_at) "
        "SELECT id, id, firstname, lastname, profile_url, city, country, connected, "
        "disconnected_reason, created_at FROM athletes"
    )
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch.create_unique_constraint(batch.f("uq_athletes_email"), ["email"])
        for column in ("profile_url", "city", "country", "connected", "disconnected_reason"):
            batch.drop_column(column)
    _own_ids("athletes")

    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("strava_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("claimed_strava_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE activities SET strava_id = id WHERE source = 'strava_api'")
    # An own file that had a positive id got it from an archive's activities.csv, or from
    # a merge that cannot be told apart from one: a claim, until the API listing confirms.
    op.execute(
        "UPDATE activities SET claimed_strava_id = id WHERE source <> 'strava_api' AND id > 0"
    )
    with op.batch_alter_table("activities") as batch:
        batch.create_unique_constraint(batch.f("uq_activities_strava_id"), ["strava_id"])
        batch.create_index("ix_activities_athlete_claimed", ["athlete_id", "claimed_strava_id"])
    _own_ids("activities")

    op.create_table(
        "claim_conflicts",
        sa.Column("id", OWN_ID, nullable=False),
        sa.Column("strava_id", sa.BigInteger(), nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.BigInteger(), nullable=False),
        sa.Column(
            "found_at",
            fitcoach.models.types.UTCDateTime(),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_conflicts")),
    )
    op.create_index(
        op.f("ix_claim_conflicts_claimed_by"), "claim_conflicts", ["claimed_by"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_claim_conflicts_claimed_by"), table_name="claim_conflicts")
    op.drop_table("claim_conflicts")
    with op.batch_alter_table("activities") as batch:
        batch.drop_index("ix_activities_athlete_claimed")
        batch.drop_constraint("uq_activities_strava_id", type_="unique")
        batch.drop_column("claimed_strava_id")
        batch.drop_column("strava_id")
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(sa.Column("profile_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("city", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("country", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("connected", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("disconnected_reason", sa.Text(), nullable=True))
        batch.drop_constraint("uq_athletes_email", type_="unique")
        batch.drop_column("password_hash")
        batch.drop_column("email")
    op.execute(
        "UPDATE athletes SET connected = (SELECT c.connected FROM strava_connections c "
        "WHERE c.athlete_id = athletes.id) WHERE id IN (SELECT athlete_id FROM strava_connections)"
    )
    op.drop_table("strava_connections")
