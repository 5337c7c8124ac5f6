"""The simulator's settings: limits, credentials, timings and the clock it reads."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Strava's documented defaults (overall and non-upload "read" limits).
DEFAULT_SHORT_LIMIT = 200
DEFAULT_LONG_LIMIT = 2000
DEFAULT_READ_SHORT_LIMIT = 100
DEFAULT_READ_LONG_LIMIT = 1000


@dataclass
class SimulatorConfig:
    """Everything `create_app` needs; every field has a default that behaves like Strava."""

    athletes: int = 5
    seed: int = 1
    history_days: int = 3 * 365
    short_limit: int = DEFAULT_SHORT_LIMIT
    long_limit: int = DEFAULT_LONG_LIMIT
    read_short_limit: int = DEFAULT_READ_SHORT_LIMIT
    read_long_limit: int = DEFAULT_READ_LONG_LIMIT
    client_id: str = "1"
    client_secret: str = "simulator-secret"
    # What the approval page calls the application, as Strava shows a registered app's name.
    application_name: str = "fitcoach"
    state_file: Path | None = None
    # Epoch seconds; tests pass a fake so that windows and expiries are deterministic.
    clock: Callable[[], float] = field(default=time.time)
    access_token_lifetime: int = 6 * 3600
    # Strava hands out a new access token only when the current one expires within this.
    refresh_window: int = 3600
    authorization_code_lifetime: int = 600
    # Empty: any redirect host is accepted (Strava always accepts localhost too).
    redirect_hosts: tuple[str, ...] = ()
    webhook_timeout: float = 2.0
    webhook_attempts: int = 3
    # Strava's retry has been seen about two minutes after a failed delivery.
    webhook_retry_delay: float = 120.0
    validation_timeout: float = 2.0
    # How long a "reorder" webhook fault holds an event back if no later event overtakes it.
    reorder_hold: float = 2.0
