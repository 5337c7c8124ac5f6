#!/usr/bin/env bash
# The production smoke test (tests/production/test_smoke.py): the Strava simulator, two web
# processes and two workers of fitcoach on PostgreSQL and Redis, 200 Strava athletes and 12
# with only their own files, a webhook storm and dashboard traffic, a web process and a
# worker killed with SIGKILL and restarted; then the database must equal Strava's truth
# and the file-only accounts hold exactly their files. About two to three minutes.
#
# Needs PostgreSQL and Redis: FITCOACH_TEST_POSTGRES_URL (default
# postgresql+psycopg://postgres@127.0.0.1:5432/test, a role that may create databases) and
# FITCOACH_TEST_REDIS_URL (default redis://127.0.0.1:6379/15, flushed by the test). Unlike
# ./scripts/test, a missing server is an error here, not a skip. Extra arguments go to
# pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-uv.sh
uv sync --frozen --quiet
CI="${CI:-true}" uv run pytest tests/production -s "$@"
