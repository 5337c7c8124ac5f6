"""Settings, errors, logging, the clock, the database engine and sessions, metrics."""

import os

# prometheus-client opens files in PROMETHEUS_MULTIPROC_DIR as soon as a module makes its
# series (core.metrics, core.query_metrics); a configured directory that does not exist
# yet would fail every command. Here, before any of them is imported.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
