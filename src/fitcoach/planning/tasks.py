"""The planning domain's queue task: every hour, the plans not yet checked today catch up
with what was done (a missed day, a sync, an import) and are re-planned where needed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from huey import crontab
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.db import transaction
from fitcoach.core.errors import FitcoachError
from fitcoach.core.tasks import huey
from fitcoach.planning import service
from fitcoach.sync.context import process_context

log = logging.getLogger("fitcoach.planning")


def replan_all(factory: sessionmaker[Session], now: datetime) -> int:
    """Re-plan every plan not checked yet on ``now``'s day; how many got a new version.
    One athlete's refusal (a plan the maths cannot take) does not stop the others."""
    with factory() as session:
        due = service.athletes_due(session, now.date())
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
