"""The one read the web layer makes itself: whether a login is still current."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from fitcoach.models import Athlete


def session_version_of(reader: Connection | Session, athlete_id: int) -> int | None:
    """The version every login of the athlete must carry; None when the athlete is gone.

    One read by primary key: it runs for every request that needs the logged-in athlete.
    """
    query = select(Athlete.session_version).where(Athlete.id == athlete_id)
    return reader.execute(query).scalar_one_or_none()
