"""An account's Strava connection: made, and undone; and an account deleted.

Strava is one connection of an account, never its identity. Connecting stores the Strava
athlete's profile and the encrypted tokens on the account (a new account when nobody is
signed in and this Strava athlete has none). Disconnecting (from fitcoach, or a
deauthorization Strava confirms) deletes exactly what Strava's terms ask for: the tokens,
the connection and the activities and streams that came from Strava's API. The account,
its own files, settings, thresholds, goal and plans stay, and so does the training load
fitcoach derived from the API activities (carried per day, as the retention policy does),
so the fitness history is recomputed from what remains.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities import repository as activities
from fitcoach.activities.loads import compute_loads
from fitcoach.athletes.repository import (
    create_athlete,
    delete_athlete,
    fill_from_strava,
    get_athlete,
    record_deletion,
)
from fitcoach.core.db import transaction
from fitcoach.core.errors import FitcoachError
from fitcoach.strava import repository as strava_store
from fitcoach.strava.access import mark_disconnected
from fitcoach.strava.budget import Priority
from fitcoach.strava.client import StravaClient
from fitcoach.strava.errors import MissingScope, StravaError
from fitcoach.strava.models import TokenResponse
from fitcoach.strava.repository import Tokens, load_tokens, save_tokens
from fitcoach.sync import repository
from fitcoach.sync.context import SyncContext
from fitcoach.sync.webhooks.repository import delete_events_of

log = logging.getLogger("fitcoach.sync")

REQUIRED_SCOPES = ("read", "activity:read_all")
# What the athlete reads when their token cannot list activities.
READ_SCOPE_MISSING = (
    "Strava did not give fitcoach permission to read your activities. Connect again and "
    "leave \u201cView data about your activities\u201d ticked on Strava's page."
)


class StravaTakenElsewhere(FitcoachError):
    """The Strava athlete is already connected to another fitcoach account."""

    status = 409
    what_to_do = (
        "Sign in to the account that has this Strava connection, or disconnect Strava there first."
    )


def missing_scopes(granted: str) -> list[str]:
    """The scopes fitcoach asked for that the athlete did not grant."""
    have = {scope.strip() for scope in granted.split(",") if scope.strip()}
    return [scope for scope in REQUIRED_SCOPES if scope not in have]


def _time_of(value: Any) -> datetime | None:
    """Strava's ISO 8601 time, or None when absent or unreadable (it only guides the
    import's estimate of what is left)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def connect_athlete(
    sessions: sessionmaker[Session],
    ring: MultiFernet,
    answer: TokenResponse,
    scopes: str,
    account: int | None = None,
) -> int:
    """Store the Strava athlete of the token exchange and their encrypted tokens on an
    account: ``account`` (the one signed in), else the account this Strava athlete is
    connected to, else a new one. Returns the account's id."""
    return connect_athletes(sessions, ring, [(answer, scopes)], account=account)[0]


def connect_athletes(
    sessions: sessionmaker[Session],
    ring: MultiFernet,
    answers: Sequence[tuple[TokenResponse, str]],
    account: int | None = None,
) -> list[int]:
    """`connect_athlete` for several token exchanges (with their granted scopes) in one
    transaction: all are stored or none. The accounts' ids, in order."""
    if any(answer.athlete is None for answer, _ in answers):
        raise StravaError("the token exchange did not name the athlete")
    ids: list[int] = []
    with transaction(sessions) as session:
        for answer, scopes in answers:
            assert answer.athlete is not None
            profile = answer.athlete.model_dump()
            connected = strava_store.athlete_of_strava(session, answer.athlete.id)
            if account is not None and connected is not None and connected != account:
                raise StravaTakenElsewhere(
                    "This Strava account is connected to another fitcoach account."
                )
            athlete_id = account or connected
            athlete = get_athlete(session, athlete_id) if athlete_id is not None else None
            if athlete is None:
                athlete = create_athlete(session)
            elif repository.get_sync_state(session, athlete.id) is None:
                repository.sync_state_for_update(session, athlete.id)
            fill_from_strava(athlete, profile)
            strava_store.save_connection(session, athlete.id, profile)
            began = _time_of(profile.get("created_at"))
            if began is not None:
                session.flush()  # a new account's sync state is pending until now
                repository.sync_state_for_update(session, athlete.id).history_starts_at = began
            save_tokens(
                session,
                ring,
                athlete.id,
                Tokens(answer.access_token, answer.refresh_token, answer.expires, scopes),
            )
            ids.append(athlete.id)
    for athlete_id, (_, scopes) in zip(ids, answers, strict=True):
        log.info("strava connected", extra={"athlete_id": athlete_id, "scopes": scopes})
    return ids


def can_read_activities(context: SyncContext, athlete_id: int) -> bool:
    """One call after the code exchange: whether the new token may list activities.

    The scopes in the callback's URL are the browser's word and can be edited; Strava's
    answer is not. A token without ``activity:read`` means "reconnect needed" (shown on
    the dashboard) and no backfill. Any other failure here (the budget, Strava down)
    leaves the question to the backfill, which meets and handles it.
    """
    try:
        token = context.token(athlete_id)
        context.strava.activities(
            token, priority=Priority.INTERACTIVE, athlete_id=athlete_id, per_page=1
        )
    except MissingScope:
        reconnect_needed(context, athlete_id)
        return False
    except StravaError as error:
        log.info(
            "scope check not made; the backfill checks",
            extra={"athlete_id": athlete_id, "error": str(error)},
        )
    return True


def reconnect_needed(context: SyncContext, athlete_id: int) -> None:
    """The athlete's token cannot read activities: shown as "reconnect needed" on the
    dashboard (the tokens are forgotten); nothing retries until they connect again."""
    mark_disconnected(context.sessions, athlete_id, READ_SCOPE_MISSING)
    log.warning("token without activity read permission", extra={"athlete_id": athlete_id})


def disconnect_strava(
    sessions: sessionmaker[Session],
    ring: MultiFernet,
    client: StravaClient,
    athlete_id: int,
    today: date,
) -> int:
    """Deauthorize at Strava, then forget what came from Strava (``forget_strava``).

    A failed deauthorization (token already revoked, Strava down) does not keep the data:
    the athlete asked for it to go. Returns how many activities went.
    """
    revoke_at_strava(sessions, ring, client, athlete_id)
    return forget_strava(sessions, athlete_id, today, reason="disconnected in fitcoach")


def revoke_at_strava(
    sessions: sessionmaker[Session], ring: MultiFernet, client: StravaClient, athlete_id: int
) -> None:
    """Tell Strava that fitcoach's access ends, when the account has Strava tokens; a
    failure is logged and nothing else: the athlete's wish to leave stands."""
    with sessions() as session:
        tokens = load_tokens(session, ring, athlete_id)
    if tokens is None:
        return
    try:
        client.deauthorize(tokens.access_token)
    except StravaError as error:
        log.warning(
            "deauthorize failed; forgetting the connection anyway",
            extra={"athlete_id": athlete_id, "error": str(error)},
        )


def forget_strava(
    sessions: sessionmaker[Session], athlete_id: int, today: date, reason: str
) -> int:
    """Delete the Strava connection's tokens, its sync state and events, and every activity
    and stream from Strava's API, carrying their loads per day; the account and its own
    data stay. Returns how many activities went."""
    # Every API row carries its load before it goes; one fetched moments ago may have none.
    compute_loads(sessions, athlete_id, today)
    with transaction(sessions) as session:
        strava_athlete = repository.strava_athlete_of(session, athlete_id)
        rows = activities.api_loads(session, athlete_id)
        per_day: dict[date, float] = defaultdict(float)
        for _, day, load in rows:
            per_day[day] += load
        for day, load in per_day.items():
            activities.carry_load(session, athlete_id, day, load)
        activities.delete_with_streams(session, [activity_id for activity_id, _, _ in rows])
        activities.unlink_own_files(session, athlete_id)
        if strava_athlete is not None:
            delete_events_of(session, strava_athlete)
        repository.delete_sync_state(session, athlete_id)
        strava_store.delete_connection(session, athlete_id)
        record_deletion(session, athlete_id, reason, len(rows))
    log.info(
        "strava data deleted",
        extra={"athlete_id": athlete_id, "reason": reason, "activities": len(rows)},
    )
    return len(rows)


def delete_account(sessions: sessionmaker[Session], athlete_id: int, reason: str) -> None:
    """Delete the athlete and everything keyed by them, leaving only a deletion record
    (athlete id, reason, count, time)."""
    with transaction(sessions) as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            return
        strava_athlete = repository.strava_athlete_of(session, athlete_id)
        if strava_athlete is not None:
            delete_events_of(session, strava_athlete)
        count = activities.count_activities(session, athlete_id)
        delete_athlete(session, athlete, reason, count)
    log.info("athlete deleted", extra={"athlete_id": athlete_id, "reason": reason})
