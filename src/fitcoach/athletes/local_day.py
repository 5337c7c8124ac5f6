"""The athlete's own day: "today" on every page, API answer, assistant tool and CLI command
is the date where the athlete is, not in UTC (an athlete in Sydney starts Tuesday's session
while UTC still says Monday), the same day their activities are dated by (``start_day``).

Where the athlete is comes from their newest activity: its time zone when Strava named one
("(GMT+10:00) Australia/Sydney", daylight saving included), else the offset between its
local and UTC starts (files carry both), else UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from fitcoach.athletes import repository

# Strava's label: the standard offset in brackets, then the IANA zone name.
_ZONE_NAME = re.compile(r"\)\s*([A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)+)\s*$")
# The widest offsets in use: UTC-12 to UTC+14.
EARLIEST, LATEST = timedelta(hours=-12), timedelta(hours=14)


def zone_of(label: str | None, start: datetime, start_local: datetime | None) -> tzinfo:
    """The time zone an activity was recorded in (see the module's docstring)."""
    found = _ZONE_NAME.search(label or "")
    if found is not None:
        try:
            return ZoneInfo(found.group(1))
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an unknown name: its offset below still says where it was
    if start_local is None:
        return UTC
    # The local start is the wall clock stored as if it were UTC.
    offset = start_local.replace(tzinfo=UTC) - start.astimezone(UTC)
    if not EARLIEST <= offset <= LATEST:
        return UTC
    return timezone(timedelta(minutes=round(offset.total_seconds() / 60)))


def athlete_now(reader: Connection | Session, athlete_id: int, now: datetime) -> datetime:
    """``now`` on the athlete's clock: its ``.date()`` is the athlete's today, its zone
    where their days start (one query: the newest activity's row)."""
    clock = repository.newest_activity_clock(reader, athlete_id)
    if clock is None:
        return now.astimezone(UTC)
    return now.astimezone(zone_of(*clock))


def athlete_today(reader: Connection | Session, athlete_id: int, now: datetime) -> date:
    return athlete_now(reader, athlete_id, now).date()


def latest_today(now: datetime) -> date:
    """The latest date anywhere on Earth at ``now``: no athlete's today is after it."""
    return (now.astimezone(UTC) + LATEST).date()
