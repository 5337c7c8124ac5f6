"""The athlete's profile and coaching settings."""
