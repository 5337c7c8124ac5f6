"""Installation-wide values kept in the database, shared by every process."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fitcoach.store.models import AppSetting

SUBSCRIPTION_ID = "strava_subscription_id"


def get_value(session: Session, key: str) -> str | None:
    row = session.get(AppSetting, key)
    return row.value if row else None


def set_value(session: Session, key: str, value: str | None) -> None:
    row = session.get(AppSetting, key)
    if value is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
