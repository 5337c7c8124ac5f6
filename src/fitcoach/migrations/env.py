"""Alembic environment: runs migrations on the engine handed over by fitcoach.migrations."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from fitcoach.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations with `fitcoach db upgrade`, not the alembic command")

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copy, drop and rename: with foreign keys enforced,
        # dropping a table that others refer to would cascade into them. They are checked
        # once the migrations are done instead. The pragma does nothing inside a
        # transaction, and every statement through SQLAlchemy begins one (core/db.py): it
        # goes to the driver's connection directly, before the migrations' transaction.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows without their parent: {broken[:5]}")
    connection.commit()
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
