"""One activity, whichever way it arrives: from a file, an archive or the Strava API.

Two records are the same activity when they belong to the same athlete, start within a
minute of each other, are the same sport family and have similar duration and distance.
When they meet, the athlete's own file wins every field it has (docs/files.md, "Which
source wins"): it is the original recording, at full resolution, and it is not subject
to the API's retention. The API contributes the Strava id, so webhooks, links and later
syncs find the one merged row.

Data from an athlete never chooses a key another athlete's data needs: every row has an
id of fitcoach's own; a Strava id is a row's ``strava_id`` only when this athlete's own API
listing gave it. What the athlete's own data says of Strava ids (an archive's
activities.csv) is a claim, ``claimed_strava_id``, linked when their listing confirms it;
another athlete's claim of an id Strava gives to this athlete is dropped and recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from fitcoach.activities import repository
from fitcoach.activities.curves import store_curves
from fitcoach.coach.sports import sport_family
from fitcoach.models import Activity, Source

log = logging.getLogger("fitcoach.activities")

MATCH_WINDOW = timedelta(seconds=60)
# Similar means within 10 % or the absolute margin, whichever is larger: short activities
# differ by a few seconds of auto-pause, long ones by a few percent of GPS distance.
RELATIVE_TOLERANCE = 0.10
DURATION_MARGIN_S = 120.0
DISTANCE_MARGIN_M = 250.0


class Outcome(StrEnum):
    IMPORTED = "imported"
    MERGED = "merged"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Fingerprint:
    """What two records of one activity agree on."""

    start: datetime
    sport_type: str
    elapsed_s: float
    distance_m: float
    multisport_group: str | None = None

    @classmethod
    def of(cls, row: Activity | dict[str, Any]) -> Fingerprint:
        values = row if isinstance(row, dict) else repository.columns_of(row)
        return cls(
            values["start_date"],
            str(values["sport_type"]),
            float(values["elapsed_time_s"] or 0),
            float(values["distance_m"] or 0.0),
            values.get("multisport_group"),
        )


def _close(a: float, b: float, margin: float) -> bool:
    return abs(a - b) <= max(margin, RELATIVE_TOLERANCE * max(a, b))


def same_activity(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether two records describe one activity (see the module's rule)."""
    if a.multisport_group is not None and a.multisport_group == b.multisport_group:
        return False  # two legs of one multisport file (a transition and the next leg)
    if abs(a.start - b.start) > MATCH_WINDOW:
        return False
    if sport_family(a.sport_type) != sport_family(b.sport_type):
        return False
    if not _close(a.elapsed_s, b.elapsed_s, DURATION_MARGIN_S):
        return False
    # Indoor sessions and pool swims may have no distance on one side.
    if a.distance_m > 0 and b.distance_m > 0:
        return _close(a.distance_m, b.distance_m, DISTANCE_MARGIN_M)
    return True


def find_match(
    session: Session, athlete_id: int, print_: Fingerprint, *, unlinked_only: bool = False
) -> Activity | None:
    """The stored activity of this athlete that is the same as ``print_``, if any;
    ``unlinked_only`` looks only at own-file activities with no Strava id yet."""
    candidates = repository.activities_starting_between(
        session,
        athlete_id,
        print_.start - MATCH_WINDOW,
        print_.start + MATCH_WINDOW,
        unlinked_only,
    )
    matches = [row for row in candidates if same_activity(Fingerprint.of(row), print_)]
    matches.sort(key=lambda row: abs(row.start_date - print_.start))
    return matches[0] if matches else None


def _keep_curves(
    session: Session, activity_id: int, values: dict[str, Any], streams: dict[str, Any] | None
) -> None:
    # Computed once here, from the file's streams: years of history get their best efforts
    # at no API cost, and no page view ever parses a stream for them.
    store_curves(
        session,
        activity_id,
        int(values["athlete_id"]),
        values["start_date"],
        str(values.get("sport_type") or "Workout"),
        streams or {},
    )


def store_own(
    session: Session,
    values: dict[str, Any],
    streams: dict[str, Any] | None,
    *,
    claimed_strava_id: int | None,
) -> tuple[Outcome, int]:
    """Store an activity from the athlete's own data, merging with what is stored.

    ``values`` are the activity's columns (without ids); ``claimed_strava_id`` is the
    Strava id an archive's row names. Returns the outcome and the activity's id.
    """
    athlete_id = int(values["athlete_id"])
    existing: Activity | None = None
    if claimed_strava_id is not None:
        owner = repository.owner_of_strava_id(session, claimed_strava_id)
        if owner is not None and owner != athlete_id:
            # Strava gave this id to another athlete: their API row wins, the claim goes.
            repository.record_conflict(session, claimed_strava_id, athlete_id, owner)
            claimed_strava_id = None
    if claimed_strava_id is not None:
        existing = repository.claimed_or_linked(session, athlete_id, claimed_strava_id)
        if existing is None:
            # An own device file imported before, with no Strava id yet, is this one.
            existing = find_match(session, athlete_id, Fingerprint.of(values), unlinked_only=True)
            if existing is not None and existing.claimed_strava_id is None:
                existing.claimed_strava_id = claimed_strava_id
                existing.source = values["source"]
                return Outcome.MERGED, existing.id
    else:
        existing = find_match(session, athlete_id, Fingerprint.of(values))
    if existing is None:
        activity_id = repository.add_activity(
            session, {**values, "claimed_strava_id": claimed_strava_id}, streams or {}
        )
        _keep_curves(session, activity_id, values, streams)
        return Outcome.IMPORTED, activity_id
    if existing.source == Source.STRAVA_API:
        # The file wins every field; the row keeps its Strava id.
        repository.update_activity(session, existing, values)
        repository.write_streams(session, existing.id, streams or {})
        _keep_curves(session, existing.id, values, streams)
        return Outcome.MERGED, existing.id
    return Outcome.DUPLICATE, existing.id


def store_api_rows(session: Session, athlete_id: int, rows: Sequence[dict[str, Any]]) -> int:
    """Store this athlete's activity rows from Strava's API (their own listing, or a fetch
    with their token) without doubling or overwriting their own data:

    - a row whose Strava id is held from the athlete's own file is left as it is (the file
      wins), and one held from the API is updated;
    - a row whose Strava id the athlete's own archive claimed, or that matches an own file
      not yet linked, links that row (it learns its Strava id);
    - another athlete's claim of the id is dropped and recorded (``ClaimConflict``);
    - every other row is stored.
    Returns the number of rows stored or linked.
    """
    if not rows:
        return 0
    strava_ids = [int(row["strava_id"]) for row in rows]
    held = repository.by_strava_ids(session, strava_ids)
    claims = repository.own_claims(session, athlete_id, strava_ids)
    for claim in repository.claims_by_others(session, athlete_id, strava_ids):
        log.warning(
            "a Strava id claimed by another athlete's own data",
            extra={
                "strava_id": claim.claimed_strava_id,
                "claimed_by": claim.athlete_id,
                "owner": athlete_id,
            },
        )
        repository.drop_claim(session, claim, owner=athlete_id)
    with_files = athlete_id in repository.athletes_with_unlinked_files(session, [athlete_id])
    fresh: list[dict[str, Any]] = []
    linked = 0
    for row in rows:
        strava_id = int(row["strava_id"])
        known = held.get(strava_id)
        if known is not None:
            if known.athlete_id != athlete_id:
                log.warning(
                    "a Strava id held by another athlete: not stored",
                    extra={"strava_id": strava_id, "athlete_id": athlete_id},
                )
            elif known.source == Source.STRAVA_API:
                fresh.append(row)
            continue
        mine = claims.get(strava_id)
        if mine is None and with_files:
            mine = find_match(session, athlete_id, Fingerprint.of(row), unlinked_only=True)
        if mine is not None:
            repository.link(session, mine, strava_id)
            linked += 1
            continue
        fresh.append(row)
    return repository.upsert_api_activities(session, fresh) + linked
