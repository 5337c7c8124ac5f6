"""The optional state file: JSON written after each change and at shutdown, read at start.

It holds what cannot be regenerated from the seed: athlete recipes, edits, added
activities, grants, the subscription, the clock and the request counters.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .config import SimulatorConfig
from .core import Simulator
from .store import Store

VERSION = 1


def snapshot(sim: Simulator) -> dict[str, Any]:
    return {
        "version": VERSION,
        "store": sim.store.to_dict(),
        "clock": {"offset": sim.clock.offset, "frozen_at": sim.clock.frozen_at},
        "usage": sim.limiter.to_dict(),
    }


def save(sim: Simulator, path: Path) -> None:
    """Write atomically, so that a crash mid-write leaves the previous state intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(snapshot(sim), out, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(config: SimulatorConfig, path: Path) -> Simulator:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != VERSION:
        raise ValueError(f"{path}: state file version {data.get('version')} is not {VERSION}")
    sim = Simulator(config, Store.from_dict(data["store"]))
    clock = data.get("clock", {})
    sim.clock.restore(float(clock.get("offset", 0.0)), clock.get("frozen_at"))
    sim.limiter.load(data.get("usage", {}))
    return sim


def open_simulator(config: SimulatorConfig) -> Simulator:
    """A simulator from the state file when there is one, else freshly generated."""
    path = config.state_file
    sim = load(config, path) if path is not None and path.exists() else Simulator(config)
    if path is not None:
        sim.on_change.append(lambda: save(sim, path))
        save(sim, path)
    return sim
