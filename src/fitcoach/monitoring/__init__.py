"""Monitoring: Prometheus metrics, the scrape-time figures, and what the admin page shows.

``fitcoach.core.metrics`` and ``fitcoach.core.query_metrics`` declare what the processes
count as they work (Strava requests, syncs, webhook events, database queries), below every
domain that counts; ``process`` makes those counts add up across the web
and worker processes of one machine; ``collector`` computes the installation's figures
(budget, athletes, queue) from the database when Prometheus scrapes ``/metrics``.

This package imports nothing at the top level. A configured PROMETHEUS_MULTIPROC_DIR is
created by ``fitcoach.core`` before the first series is made.
"""
