"""OAuth grant bookkeeping: codes, access and refresh tokens, rotation and revocation.

Strava's rules, as its documentation states them: an access token lives six hours; asking
for a refresh earlier than an hour before expiry returns the current token; a refresh may
return a new refresh token, and the previous one stops working once the new one is used.
"""

from __future__ import annotations

import secrets

from .config import SimulatorConfig
from .models import AuthCode, Grant
from .store import Store

SCOPES = (
    "read",
    "read_all",
    "profile:read_all",
    "profile:write",
    "activity:read",
    "activity:read_all",
    "activity:write",
)


class TokenError(Exception):
    """A token request Strava would refuse; `field` names what was wrong."""

    def __init__(self, resource: str, field: str) -> None:
        super().__init__(f"{resource}.{field} invalid")
        self.resource = resource
        self.field = field


def parse_scopes(raw: str | None) -> list[str] | None:
    """Requested scopes in Strava's comma-separated form; None when one is unknown."""
    if not raw:
        return ["read"]
    scopes = [s.strip() for s in raw.replace(" ", ",").split(",") if s.strip()]
    if any(s not in SCOPES for s in scopes):
        return None
    return list(dict.fromkeys(scopes))


def issue_code(
    store: Store,
    athlete_id: int,
    client_id: str,
    scopes: list[str],
    redirect_uri: str,
    now: float,
    lifetime: int,
) -> AuthCode:
    code = AuthCode(
        secrets.token_hex(20), athlete_id, client_id, scopes, redirect_uri, now + lifetime
    )
    store.codes[code.code] = code
    return code


def _new_grant(store: Store, code: AuthCode, now: float, lifetime: int) -> Grant:
    grant = Grant(
        athlete_id=code.athlete_id,
        client_id=code.client_id,
        scopes=code.scopes,
        access_token=secrets.token_hex(20),
        access_expires_at=int(now) + lifetime,
        refresh_token=secrets.token_hex(20),
    )
    store.add_grant(grant)
    return grant


def exchange_code(
    store: Store, config: SimulatorConfig, client_id: str, code: str, now: float
) -> Grant:
    found = store.codes.get(code)
    if found is None or found.used or found.client_id != client_id or now > found.expires_at:
        raise TokenError("AuthorizationCode", "code")
    found.used = True
    return _new_grant(store, found, now, config.access_token_lifetime)


def refresh(store: Store, config: SimulatorConfig, client_id: str, token: str, now: float) -> Grant:
    grant = store.grant_for(token)
    if (
        grant is None
        or grant.revoked
        or grant.client_id != client_id
        or token not in (grant.refresh_token, grant.previous_refresh_token)
    ):
        raise TokenError("RefreshToken", "refresh_token")
    if token == grant.refresh_token:
        # Using the newest refresh token retires the one it replaced.
        grant.previous_refresh_token = None
    if grant.access_expires_at - now > config.refresh_window:
        return grant
    grant.older_access_tokens[grant.access_token] = grant.access_expires_at
    grant.older_access_tokens = {t: e for t, e in grant.older_access_tokens.items() if e > now}
    grant.access_token = secrets.token_hex(20)
    grant.access_expires_at = int(now) + config.access_token_lifetime
    grant.previous_refresh_token = grant.refresh_token
    grant.refresh_token = secrets.token_hex(20)
    store.index_grant(grant)
    return grant


def authenticate(store: Store, token: str, now: float) -> Grant | None:
    """The live grant an access token belongs to, or None if unknown, expired or revoked."""
    grant = store.grant_for(token)
    if grant is None or grant.revoked:
        return None
    if token == grant.access_token:
        return grant if now < grant.access_expires_at else None
    expires = grant.older_access_tokens.get(token)
    return grant if expires is not None and now < expires else None


def revoke(grant: Grant) -> None:
    grant.revoked = True


def token_response(grant: Grant, now: float) -> dict[str, object]:
    return {
        "token_type": "Bearer",
        "access_token": grant.access_token,
        "expires_at": grant.access_expires_at,
        "expires_in": max(0, grant.access_expires_at - int(now)),
        "refresh_token": grant.refresh_token,
    }
