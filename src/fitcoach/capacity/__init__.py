"""The capacity model: how many athletes one Strava application serves, measured.

`run_capacity` replays a simulated population (CAPACITY.md) against the Strava simulator
for each strategy, through fitcoach's real client, budget and sync code, under a
compressed clock; `find_max` searches for the largest population served. See docs/capacity.md.
"""

from fitcoach.capacity.options import STRATEGIES, CapacityError, CapacityOptions
from fitcoach.capacity.run import CapacityReport, find_max, run_capacity

__all__ = [
    "STRATEGIES",
    "CapacityError",
    "CapacityOptions",
    "CapacityReport",
    "find_max",
    "run_capacity",
]
