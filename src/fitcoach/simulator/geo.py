"""Where an activity went: a closed loop near the athlete's home, and Google polylines of it."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .models import Activity, Athlete

ROUTE_SALT = 0x0C0FFEE


def route(act: Activity, athlete: Athlete, fraction: NDArray[np.float64]) -> NDArray[np.float64]:
    """[lat, lng] at each fraction of the distance; the same loop however finely sampled."""
    rng = np.random.default_rng(act.seed ^ ROUTE_SALT)
    radius = max(act.distance, 200.0) / (2 * math.pi)
    theta = 2 * np.pi * fraction
    p3, p5, heading = rng.uniform(0, 2 * math.pi, size=3)
    wobble = 1 + 0.12 * np.sin(3 * theta + p3) + 0.06 * np.sin(5 * theta + p5)
    x = radius * (np.cos(theta + heading) - math.cos(heading)) * wobble
    y = radius * (np.sin(theta + heading) - math.sin(heading)) * wobble
    lat0 = athlete.lat + rng.uniform(-0.01, 0.01)
    lng0 = athlete.lng + rng.uniform(-0.01, 0.01)
    lat = lat0 + y / 111_320.0
    lng = lng0 + x / (111_320.0 * math.cos(math.radians(lat0)))
    return np.round(np.stack([lat, lng], axis=1), 6)


def _encode_value(value: int) -> str:
    value = ~(value << 1) if value < 0 else value << 1
    chunks = []
    while value >= 0x20:
        chunks.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    chunks.append(chr(value + 63))
    return "".join(chunks)


def encode_polyline(points: NDArray[np.float64]) -> str:
    """Google's encoded polyline format, as Strava's `map.polyline` uses."""
    out = []
    prev_lat = prev_lng = 0
    # Python floats: stepping through a numpy array element by element costs more than
    # the encoding itself.
    for lat, lng in points.tolist():
        ilat, ilng = round(lat * 1e5), round(lng * 1e5)
        out.append(_encode_value(ilat - prev_lat))
        out.append(_encode_value(ilng - prev_lng))
        prev_lat, prev_lng = ilat, ilng
    return "".join(out)


def polyline(act: Activity, athlete: Athlete, points: int) -> str:
    return encode_polyline(route(act, athlete, np.linspace(0.0, 1.0, points)))


def summary_map(
    act: Activity, athlete: Athlete, points: int
) -> tuple[list[float], list[float], str]:
    """Start, end and the summary polyline from one route (its first and last points are
    the loop's ends: `endpoints` samples the same fractions)."""
    line = route(act, athlete, np.linspace(0.0, 1.0, points))
    ends = line[[0, -1]].tolist()
    return ends[0], ends[1], encode_polyline(line)


def endpoints(act: Activity, athlete: Athlete) -> tuple[list[float], list[float]]:
    ends = route(act, athlete, np.array([0.0, 1.0]))
    return [float(ends[0][0]), float(ends[0][1])], [float(ends[1][0]), float(ends[1][1])]
