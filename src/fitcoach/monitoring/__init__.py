"""Monitoring: Prometheus metrics, the scrape-time figures, and what the admin page shows.

``metrics`` declares what the processes count as they work (Strava requests, syncs,
webhook events, database queries); ``process`` makes those counts add up across the web
and worker processes of one machine; ``collector`` computes the installation's figures
(budget, athletes, queue) from the database when Prometheus scrapes ``/metrics``.

This package imports nothing at the top level: ``store`` and ``strava`` import its
``metrics`` module, and a package import here would make that a cycle.
"""

import os

# prometheus-client opens files in PROMETHEUS_MULTIPROC_DIR as soon as a submodule makes
# its series; a configured directory that does not exist yet would fail every command.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
