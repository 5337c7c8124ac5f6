"""A faithful local stand-in for the parts of Strava API v3 that fitcoach uses.

It shares no code with the rest of fitcoach on purpose: a shared parser or model would hide
exactly the mismatches between client and server that the simulator exists to expose.
"""

from .app import create_app
from .config import SimulatorConfig
from .serve import serve

__all__ = ["SimulatorConfig", "create_app", "serve"]
