"""`serve`: run the simulator under uvicorn (what `fitcoach simulator` calls)."""

from __future__ import annotations

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
    log_level: str = "info",
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
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level in ("debug", "info"),
    )
