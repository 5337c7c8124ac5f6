"""Connecting and disconnecting athletes: what is stored, and what is deleted."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities.repository import count_activities
from fitcoach.athletes.repository import delete_athlete, get_athlete, upsert_athlete
from fitcoach.core.db import transaction
from fitcoach.strava.client import StravaClient
from fitcoach.strava.errors import StravaError
from fitcoach.strava.models import TokenResponse
from fitcoach.strava.repository import Tokens, load_tokens, save_tokens
from fitcoach.sync.webhooks.repository import delete_events_of

log = logging.getLogger("fitcoach.sync")

REQUIRED_SCOPES = ("read", "activity:read_all")


def missing_scopes(granted: str) -> list[str]:
    """The scopes fitcoach asked for that the athlete did not grant."""
    have = {scope.strip() for scope in granted.split(",") if scope.strip()}
    return [scope for scope in REQUIRED_SCOPES if scope not in have]


def connect_athlete(
    sessions: sessionmaker[Session], ring: MultiFernet, answer: TokenResponse, scopes: str
) -> int:
    """Store the athlete from the token exchange and their encrypted tokens; their id."""
    return connect_athletes(sessions, ring, [(answer, scopes)])[0]


def connect_athletes(
    sessions: sessionmaker[Session],
    ring: MultiFernet,
    answers: Sequence[tuple[TokenResponse, str]],
) -> list[int]:
    """`connect_athlete` for several token exchanges (with their granted scopes) in one
    transaction: all are stored or none. Their ids, in order."""
    if any(answer.athlete is None for answer, _ in answers):
        raise StravaError("the token exchange did not name the athlete")
    ids: list[int] = []
    with transaction(sessions) as session:
        for answer, scopes in answers:
            assert answer.athlete is not None
            athlete = upsert_athlete(session, answer.athlete.model_dump())
            session.flush()
            save_tokens(
                session,
                ring,
                athlete.id,
                Tokens(answer.access_token, answer.refresh_token, answer.expires, scopes),
            )
            ids.append(athlete.id)
    for athlete_id, (_, scopes) in zip(ids, answers, strict=True):
        log.info("athlete connected", extra={"athlete_id": athlete_id, "scopes": scopes})
    return ids


def disconnect_athlete(
    sessions: sessionmaker[Session], ring: MultiFernet, client: StravaClient, athlete_id: int
) -> None:
    """Deauthorize at Strava, then delete everything fitcoach holds about the athlete.

    Strava's agreement asks for prompt deletion; a failed deauthorization (token already
    revoked, Strava down) does not keep the data: the athlete asked for it to go.
    """
    with sessions() as session:
        tokens = load_tokens(session, ring, athlete_id)
    if tokens is not None:
        try:
            client.deauthorize(tokens.access_token)
        except StravaError as error:
            log.warning(
                "deauthorize failed; deleting anyway",
                extra={"athlete_id": athlete_id, "error": str(error)},
            )
    delete_athlete_data(sessions, athlete_id, reason="disconnected in fitcoach")


def delete_athlete_data(
    sessions: sessionmaker[Session], athlete_id: int, reason: str = "disconnected"
) -> None:
    """Delete the athlete and, by cascade, their tokens, activities, streams and sync state,
    leaving only a deletion record (athlete id, reason, count, time)."""
    with transaction(sessions) as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            return
        count = count_activities(session, athlete_id)
        delete_events_of(session, athlete_id)
        delete_athlete(session, athlete, reason, count)
    log.info("athlete data deleted", extra={"athlete_id": athlete_id, "reason": reason})
