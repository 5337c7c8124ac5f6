"""An hour of forged push events, 100 a minute (bench/forged_events.py on a simulated
clock): at most one Strava call per connected athlete per 15-minute window, and a newly
connected athlete's backfill goes through (docs/security.md, finding 1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_hour_of_forged_events_costs_one_call_per_athlete_per_window(
    tmp_path: Path,
) -> None:
    figures_file = tmp_path / "figures.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "forged_events.py"),
        *("--minutes", "60", "--per-minute", "100", "--json", str(figures_file)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(figures_file.read_text())
    assert figures["events_sent"] == 6000
    assert not any(answer.endswith(" 500") for answer in figures["answers"])
    # Every deauthorization check is charged to the athlete it names, and each athlete
    # had at most one in any 15-minute window: 3 athletes x 4 windows at most.
    assert figures["webhook_calls_without_athlete"] == 0
    assert figures["most_webhook_calls_per_athlete_window"] == 1
    assert figures["strava_calls_by_priority"]["webhook"] <= 3 * 4
    # The athlete who connected ten minutes in has their whole history.
    assert figures["newcomer_backfill_done_at_minute"] == 10
    assert figures["handling_failures"] == {}
