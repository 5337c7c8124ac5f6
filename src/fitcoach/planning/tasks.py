"""The planning domain's queue tasks: a re-plan as soon as a sync or an import finished
(queued by the worker, ``fitcoach.worker``, which sees both), and every hour the plans not
yet checked on the athlete's today catch up with what was done (a missed day)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from huey import crontab
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.db import transaction
from fitcoach.core.errors import FitcoachError
from fitcoach.core.tasks import TaskPriority, huey
from fitcoach.planning import service
from fitcoach.sync.context import process_context

log = logging.getLogger("fitcoach.planning")


def replan_all(factory: sessionmaker[Session], now: datetime) -> int:
    """Re-plan every plan not checked yet on ``now``'s day; how many got a new version.
    One athlete's refusal (a plan the maths cannot take) does not stop the others."""
    with factory() as session:
        due = service.athletes_due(session, now)
    made = 0
    for athlete_id in due:
        try:
            with transaction(factory) as session:
                made += service.replan_due(session, athlete_id, now=now) is not None
        except FitcoachError:
            log.warning("plan of athlete %s not re-planned", athlete_id, exc_info=True)
    return made


@huey.periodic_task(crontab(minute="23"))
def replan_plans() -> None:
    """Hourly: plans not checked today are re-planned from what was done."""
    replan_all(process_context().sessions, datetime.now(UTC))


@huey.task(priority=TaskPriority.SCHEDULED)
def replan_athlete(athlete_id: int) -> None:
    """After a sync or an import of the athlete finished: their plan sees it at once."""
    service.replan_one(process_context().sessions, athlete_id, datetime.now(UTC))
