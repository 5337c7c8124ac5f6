"""Strava push events: received, stored, handled."""
