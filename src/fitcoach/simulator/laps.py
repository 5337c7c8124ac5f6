"""Laps and kilometre splits of a detailed activity, measured on its streams."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .models import Activity
from .workouts import plan


def _stats(streams: dict[str, list[Any]], lo: int, hi: int) -> dict[str, Any]:
    time = streams["time"]
    elapsed = int(time[hi - 1] - time[lo]) + 1
    moving = hi - lo
    out: dict[str, Any] = {
        "elapsed_time": elapsed,
        "moving_time": moving,
        "start_index": lo,
        "end_index": hi - 1,
    }
    if "distance" in streams:
        d = streams["distance"]
        distance = float(d[hi - 1] - (d[lo - 1] if lo > 0 else 0.0))
        v = np.asarray(streams["velocity_smooth"][lo:hi], dtype=float)
        out.update(
            distance=round(distance, 1),
            average_speed=round(distance / moving, 3),
            max_speed=round(float(v.max()), 3),
        )
    else:
        out.update(distance=0.0, average_speed=0.0, max_speed=0.0)
    if "altitude" in streams:
        alt = np.asarray(streams["altitude"][lo:hi], dtype=float)
        out["total_elevation_gain"] = round(float(np.clip(np.diff(alt), 0, None).sum()), 1)
    for key, name in (
        ("watts", "average_watts"),
        ("heartrate", "average_heartrate"),
        ("cadence", "average_cadence"),
    ):
        if key in streams:
            out[name] = round(float(np.mean(streams[key][lo:hi])), 1)
    if "heartrate" in streams:
        out["max_heartrate"] = float(max(streams["heartrate"][lo:hi]))
    return out


def laps(
    act: Activity, streams: dict[str, list[Any]], start_local: str, start_utc: str
) -> list[dict[str, Any]]:
    """One lap per planned segment for structured sessions (the device's lap button), else one."""
    if "time" not in streams:
        return []
    n = len(streams["time"])
    bounds = [0, n]
    if act.raw is None:
        segments = plan(act.workout, act.seed, act.moving_time)
        if any(s.label == "work" for s in segments) and len(segments) <= 40:
            edges = np.cumsum([s.seconds for s in segments])[:-1]
            bounds = [0, *(int(e) for e in edges if 0 < e < n), n]
    out = []
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        lap = {
            "id": act.id * 100 + i + 1,
            "resource_state": 2,
            "name": f"Lap {i + 1}",
            "activity": {"id": act.id, "resource_state": 1},
            "athlete": {"id": act.athlete_id, "resource_state": 1},
            "start_date": start_utc,
            "start_date_local": start_local,
            "lap_index": i + 1,
            "split": i + 1,
            "pace_zone": 0,
            **_stats(streams, lo, hi),
        }
        out.append(lap)
    return out


def splits(streams: dict[str, list[Any]], unit: float) -> list[dict[str, Any]]:
    """Per-kilometre (or per-mile) splits of a run, as Strava computes `splits_metric`."""
    if "distance" not in streams or len(streams["distance"]) < 2:
        return []
    distance = np.asarray(streams["distance"], dtype=float)
    marks = np.searchsorted(distance, np.arange(unit, distance[-1], unit))
    bounds = [0, *(int(m) for m in marks if 0 < m < len(distance)), len(distance)]
    out = []
    altitude = streams.get("altitude")
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        if hi - lo < 1:
            continue
        stats = _stats(streams, lo, hi)
        rise = float(altitude[hi - 1] - altitude[lo]) if altitude else 0.0
        out.append(
            {
                "distance": stats["distance"],
                "elapsed_time": stats["elapsed_time"],
                "elevation_difference": round(rise, 1),
                "moving_time": stats["moving_time"],
                "split": i + 1,
                "average_speed": stats["average_speed"],
                "pace_zone": 0,
                **(
                    {"average_heartrate": stats["average_heartrate"]}
                    if "average_heartrate" in stats
                    else {}
                ),
            }
        )
    return out
