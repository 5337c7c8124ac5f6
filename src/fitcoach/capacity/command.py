"""The `fitcoach capacity` command's body: options in, table (and JSON) out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fitcoach.capacity.options import (
    CapacityError,
    CapacityOptions,
    parse_mix,
    parse_strategies,
    scaled_limits,
)
from fitcoach.capacity.report import render
from fitcoach.capacity.run import find_max, run_capacity


def capacity_command(
    *,
    athletes: int,
    days: int,
    mix: str,
    uploads_per_day: float,
    edit_rate: float,
    delete_rate: float,
    new_athletes_per_day: float | None,
    history_days: int,
    seed: int,
    short_limit: int | None,
    long_limit: int | None,
    read_short_limit: int | None,
    read_long_limit: int | None,
    limits_scale: float,
    strategies: str,
    json_path: Path | None,
    stream_upgrades: bool = True,
    search: bool,
    echo: Callable[[str], None],
    progress: Callable[[str], None],
) -> None:
    """Check every option before the (long) run starts, run, print, write the JSON.

    A limit not given is Strava's default times `limits_scale`.
    """
    limits = scaled_limits(
        limits_scale,
        short_limit=short_limit,
        long_limit=long_limit,
        read_short_limit=read_short_limit,
        read_long_limit=read_long_limit,
    )
    options = CapacityOptions(
        athletes=athletes,
        days=days,
        mix=parse_mix(mix),
        uploads_per_day=uploads_per_day,
        edit_rate=edit_rate,
        delete_rate=delete_rate,
        new_athletes_per_day=new_athletes_per_day,
        history_days=history_days,
        seed=seed,
        **limits,
        limits_scale=limits_scale,
        strategies=parse_strategies(strategies),
        stream_upgrades=stream_upgrades,
    )
    if json_path is not None and not json_path.parent.is_dir():
        raise CapacityError(f"--json: the directory {json_path.parent} does not exist")
    report = find_max(options, progress) if search else run_capacity(options, progress)
    echo(render(report))
    if json_path is not None:
        json_path.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
        echo(f"wrote {json_path}")
