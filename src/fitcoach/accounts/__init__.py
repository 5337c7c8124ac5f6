"""Signing in and out, and the Strava connection of an account."""
