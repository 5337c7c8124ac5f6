"""What every process does before it serves: read settings, reach the database, check schema."""

from __future__ import annotations

from sqlalchemy import Engine

from fitcoach import migrations
from fitcoach.core.db import check_reachable, make_engine
from fitcoach.core.errors import ConfigError
from fitcoach.core.settings import Settings


def prepare_database(settings: Settings) -> Engine:
    """Reach the database and make sure its schema is at head.

    The embedded mode upgrades by itself; production refuses to start on an old schema,
    because several processes upgrading at once is how schemas get broken.
    """
    engine = make_engine(settings.database)
    check_reachable(engine)
    if settings.embedded:
        migrations.upgrade(engine)
        return engine
    current = migrations.current_revision(engine)
    head = migrations.head_revision()
    if current != head:
        raise ConfigError(
            f"DATABASE_URL: schema is at {current or 'nothing'}, this fitcoach needs {head}; "
            "run `fitcoach db upgrade` first"
        )
    return engine
