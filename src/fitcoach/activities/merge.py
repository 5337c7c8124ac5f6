"""One activity, whichever way it arrives: from a file, an archive or the Strava API.

Two records are the same activity when they belong to the same athlete, start within a
minute of each other, are the same sport family and have similar duration and distance.
When they meet, the athlete's own file wins every field it has (docs/files.md, "Which
source wins"): it is the original recording, at full resolution, and it is not subject
to the API's retention. The API contributes the Strava id, so webhooks, links and later
syncs find the one merged row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from fitcoach.activities import repository
from fitcoach.coach.sports import sport_family
from fitcoach.models import Activity, Source

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


def synthetic_id(athlete_id: int, sha256: str) -> int:
    """A stable id for a file with no Strava id: negative, so it never meets Strava's."""
    digest = hashlib.sha256(f"{athlete_id}:{sha256}".encode()).digest()
    return -(int.from_bytes(digest[:7], "big") | 1)


def find_match(
    session: Session, athlete_id: int, print_: Fingerprint, *, unlinked_only: bool = False
) -> Activity | None:
    """The stored activity of this athlete that is the same as ``print_``, if any;
    ``unlinked_only`` looks only at file activities with no Strava id yet."""
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


def store_own(
    session: Session,
    values: dict[str, Any],
    streams: dict[str, Any] | None,
    *,
    strava_id: int | None,
    fallback_id: int,
) -> tuple[Outcome, int]:
    """Store an activity from the athlete's own data, merging with what is stored.

    ``values`` are the activity's columns (without ``id``); ``strava_id`` is known for an
    archive's activities; ``fallback_id`` is used when nothing else gives one.
    """
    athlete_id = int(values["athlete_id"])
    existing = repository.get_activity(session, strava_id) if strava_id is not None else None
    if existing is not None and existing.athlete_id != athlete_id:
        raise PermissionError(f"activity {strava_id} belongs to another athlete")
    if existing is None:
        # Two different Strava ids are two activities, however alike: an activity with
        # one may only meet a device file that has none yet.
        existing = find_match(
            session, athlete_id, Fingerprint.of(values), unlinked_only=strava_id is not None
        )
    if existing is None:
        activity_id = strava_id if strava_id is not None else fallback_id
        repository.add_activity(session, activity_id, values, streams or {})
        return Outcome.IMPORTED, activity_id
    if existing.source == Source.STRAVA_API:
        # The file wins every field; the row keeps its Strava id.
        repository.update_activity(session, existing, values)
        repository.write_streams(session, existing.id, streams or {})
        return Outcome.MERGED, existing.id
    if (
        strava_id is not None
        and existing.id < 0
        and repository.get_activity(session, strava_id) is None
    ):
        # A device file imported earlier, now named by the archive: it learns its Strava id.
        merged = repository.rekey(session, existing.id, strava_id)
        merged.source = values["source"]
        merged.raw = {**merged.raw, "id": strava_id}
        return Outcome.MERGED, strava_id
    return Outcome.DUPLICATE, existing.id


def store_api_rows(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Store activity rows from the Strava API without doubling or overwriting the
    athlete's own data: a drop-in for ``upsert_activities`` in the sync.

    - a row whose id is held from a file or archive is left as it is (the file wins);
    - a row that matches a file activity not yet linked to Strava gives it its id;
    - every other row is upserted as before.
    Returns the number of rows upserted or linked.
    """
    if not rows:
        return 0
    held = repository.sources_of(session, [int(row["id"]) for row in rows])
    # Only athletes holding unlinked files can have a match: one query spares a search per
    # row for everyone else (a backfill page is 200 rows).
    with_files = repository.athletes_with_unlinked_files(
        session, {int(row["athlete_id"]) for row in rows}
    )
    fresh: list[dict[str, Any]] = []
    linked = 0
    for row in rows:
        source = held.get(int(row["id"]))
        if source is not None and source != Source.STRAVA_API:
            continue
        if source is None and int(row["athlete_id"]) in with_files:
            print_ = Fingerprint.of(row)
            match = find_match(session, int(row["athlete_id"]), print_, unlinked_only=True)
            if match is not None:
                repository.rekey(session, match.id, int(row["id"]))
                linked += 1
                continue
        fresh.append(row)
    return repository.upsert_activities(session, fresh) + linked
