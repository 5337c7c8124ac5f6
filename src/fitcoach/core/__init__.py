"""Settings, errors, logging, the clock, the database engine and sessions, metrics."""
