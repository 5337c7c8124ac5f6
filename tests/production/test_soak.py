"""The production-mode soak (bench/soak.py, scripts/soak.sh), shortened for the suite.

300 athletes connect through the real login; one day of the default mix at x10 limits
is replayed in 90 seconds against `fitcoach serve --workers 2` and two workers on
PostgreSQL and Redis. Nothing may be lost or fail: no event, no page view, no 429.
(1,000 athletes in 3 minutes took 4 min 47 s with its set-up on the 2-core machine
under a load average of 9: over the suite's share, hence this size.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, REDIS_URL

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
ATHLETES = 300
MINUTES = 1.5
# A Redis database of the soak's own, away from the ones the test workers use (15 down).
SOAK_REDIS_DB = 9


def test_a_compressed_day_loses_nothing(tmp_path: Path) -> None:
    admin = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database="postgres")
    redis = REDIS_URL.rsplit("/", 1)[0] + f"/{SOAK_REDIS_DB}"
    out = tmp_path / "soak.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "soak.py"),
        *("--athletes", str(ATHLETES), "--minutes", str(MINUTES)),
        *("--database-url", admin.render_as_string(hide_password=False)),
        *("--redis-url", redis, "--json", str(out), "--workdir", str(tmp_path)),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    print(f"soak: {figures}")
    assert figures["events_emitted"] > ATHLETES / 2
    failed = (figures["failed_page_views"], figures["failed_presses"], figures["events_lost"])
    assert failed == (0, 0, 0), (figures["failures"], figures["server_errors"])
    assert figures["strava_429"] == 0
    assert figures["failed_simulator_calls"] == 0
    assert figures["page_views"] > 3 * ATHLETES
    assert figures["requests_per_day"] > 0
