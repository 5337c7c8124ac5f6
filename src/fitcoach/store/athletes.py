"""Athlete rows: created or refreshed from Strava's athlete document."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fitcoach.store.models import Athlete, SyncState


def upsert_athlete(session: Session, document: dict[str, Any]) -> Athlete:
    """Create or update the athlete keyed by Strava id; coaching settings are kept."""
    athlete_id = int(document["id"])
    athlete = session.get(Athlete, athlete_id)
    if athlete is None:
        athlete = Athlete(id=athlete_id)
        session.add(athlete)
        session.add(SyncState(athlete_id=athlete_id))
    athlete.firstname = str(document.get("firstname") or "")
    athlete.lastname = str(document.get("lastname") or "")
    athlete.profile_url = document.get("profile_medium") or document.get("profile")
    athlete.city = document.get("city")
    athlete.country = document.get("country")
    sex = document.get("sex")
    if athlete.sex is None and sex in ("M", "F"):
        athlete.sex = sex
    weight = document.get("weight")
    if athlete.weight_kg is None and isinstance(weight, int | float) and weight > 0:
        athlete.weight_kg = float(weight)
    athlete.connected = True
    athlete.disconnected_reason = None
    return athlete
