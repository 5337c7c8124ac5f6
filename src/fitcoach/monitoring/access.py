"""Who may read the metrics: a bearer token, or (embedded mode, no token) this machine only."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from fitcoach.core.settings import Settings
from fitcoach.web.operators import token_matches

# A request relayed by a proxy on this machine arrives from loopback; these headers say
# it came from further away, so it is not treated as local.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    reason: str
    what_to_do: str


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_refusal(
    settings: Settings, authorization: str | None, client_host: str | None, forwarded: bool
) -> Refusal | None:
    """Why this scrape may not read the metrics, or None when it may."""
    if settings.metrics_token:
        if token_matches(authorization, settings.metrics_token):
            return None
        return Refusal(
            401,
            "The metrics need the bearer token set in METRICS_TOKEN.",
            "Send 'Authorization: Bearer <METRICS_TOKEN>' (Prometheus: "
            "authorization.credentials_file).",
        )
    if not settings.embedded:
        return Refusal(
            403,
            "METRICS_TOKEN is not set, so the metrics are closed in production mode.",
            "Set METRICS_TOKEN on every fitcoach process and give Prometheus the same token.",
        )
    if is_loopback(client_host) and not forwarded:
        return None
    return Refusal(
        403,
        "Without METRICS_TOKEN, the metrics answer only requests from this machine.",
        "Scrape from this machine, or set METRICS_TOKEN and send it as a bearer token.",
    )
