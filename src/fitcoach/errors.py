"""The root of fitcoach's error hierarchy: each area derives its own errors from it."""


class FitcoachError(Exception):
    """Base class for every error fitcoach raises on purpose."""


class ConfigError(FitcoachError):
    """A setting is missing or malformed; the message names the setting and the fix."""
