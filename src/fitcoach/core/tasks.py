"""The task queue every process shares: huey on SQLite in the embedded mode, on Redis in
production (the same task code). Each domain's ``tasks.py`` registers its tasks on
``huey``; ``fitcoach.worker`` imports them all and runs the consumer.

Made when first imported, from the settings: importing a ``tasks`` module opens the queue.
"""

from __future__ import annotations

from enum import IntEnum

from huey import Huey, PriorityRedisHuey, SqliteHuey

from fitcoach.core.settings import load_settings


class TaskPriority(IntEnum):
    """huey runs higher numbers first: in the order of the Strava budget's priorities."""

    BACKFILL = 10
    SCHEDULED = 50
    WEBHOOK = 75
    INTERACTIVE = 100


def make_huey() -> Huey:
    settings = load_settings()
    if settings.redis_url:
        return PriorityRedisHuey("fitcoach", url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("fitcoach", filename=str(settings.data_dir / "queue.db"))


huey = make_huey()
