"""`serve`: run the simulator under uvicorn (what `fitcoach simulator` calls)."""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn

from .app import create_app
from .config import SimulatorConfig


def serve(
    host: str = "127.0.0.1",
    port: int = 8001,
    athletes: int = 5,
    seed: int = 1,
    short_limit: int = 200,
    long_limit: int = 2000,
    read_short_limit: int = 100,
    read_long_limit: int = 1000,
    state_file: Path | None = None,
    history_days: int = 3 * 365,
    log_level: str | None = None,
) -> None:
    config = SimulatorConfig(
        athletes=athletes,
        seed=seed,
        history_days=history_days,
        short_limit=short_limit,
        long_limit=long_limit,
        read_short_limit=read_short_limit,
        read_long_limit=read_long_limit,
        state_file=state_file,
    )
    # The demo asks its processes for quiet logs through LOG_LEVEL; so does the simulator.
    level = (log_level or os.environ.get("LOG_LEVEL", "info")).lower()
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level=level,
        access_log=level in ("debug", "info"),
    )
