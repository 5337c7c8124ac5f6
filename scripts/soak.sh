#!/usr/bin/env bash
# The production mode's soak at the seed's scale (bench/soak.py): 10,000 athletes connect
# through the real login, then one day of the default mix at x10 limits is replayed in
# 20 minutes on loopback against PostgreSQL and Redis. Options are bench/soak.py's:
#   scripts/soak.sh [--athletes 10000] [--minutes 20] [--limits-scale 10] [--json FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-uv.sh
uv sync --frozen --quiet
exec uv run python bench/soak.py "$@"
