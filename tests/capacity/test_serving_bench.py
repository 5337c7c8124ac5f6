"""bench/serving.py end to end on a tiny SQLite store: fitcoach's server answers the open
loop without errors, the report's lines are printed, and serving from the store makes no
Strava call."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = str(ROOT / "bench" / "serving.py")
NUMBER = r"[\d.]+"


def test_the_serving_benchmark_runs_and_reports(tmp_path: Path) -> None:
    command = [
        sys.executable, BENCH,
        "--athletes", "4",
        "--activities", "40",
        "--rate", "8",
        "--seconds", "2",
        "--warmup", "0.5",
        "--databases", "sqlite",
        "--store-dir", str(tmp_path / "store"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "open loop at 8 requests/s for 2 s after 0.5 s of warm-up; 1 web process" in out
    for path in ("/", "/api/strava/activities"):
        section = out.split(f"\nsqlite GET {path}\n")[1].split("\n\n")[0]
        assert re.search(
            r"offered\s+achieved\s+p50 ms\s+p90 ms\s+p99 ms\s+max ms\s+errors\s+server\s+"
            r"CPU/req\s+machine\s+ref ms",
            section,
        )
        # offered, achieved, p50, p90, p99, max, errors … peak RSS, verdict
        row = re.search(
            rf"^  sqlite\s+8\.0\s+({NUMBER})(?:\s+{NUMBER}){{4}}\s+(\d+)\s"
            rf".*\s(\d+) MB  (PASS|MISS)$",
            section,
            re.M,
        )
        assert row is not None, section
        achieved, errors, peak_mb, _ = row.groups()
        assert float(achieved) > 0 and errors == "0" and int(peak_mb) > 0
        # server CPU, its ms per request, machine, the reference loop before → after
        costs = re.search(rf"\s(\d+)%\s+({NUMBER})\s+\d+%\s+(\d+) → (\d+)\s", row.group(0))
        assert costs is not None, row.group(0)
        assert float(costs.group(2)) > 0 and int(costs.group(3)) > 0 and int(costs.group(4)) > 0
        assert re.search(
            rf"^  (PASS|MISS) sqlite GET {re.escape(path)}: p99 \d+ ms [<≥] 300 ms at 8 requests/s "
            rf"offered \({NUMBER}/s achieved\), 0 errors, server peak RSS \d+ MB$",
            out,
            re.M,
        )
    assert re.search(r"^peak RSS: fitcoach server \d+ MB", out, re.M)
    assert "Strava connections attempted: 0 (want 0)" in out
    assert re.search(r"^run time \d+ min \d+ s", out, re.M)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--rate", "0"], "--rate: must be more than 0"),
        (["--rate", "fast"], "--rate: not a number"),
        (["--databases", "mysql"], "--databases"),
        (["--workers", "0"], "--workers"),
        (["--endpoints", "home"], "--endpoints"),
    ],
)
def test_bad_options_are_one_clear_line(options: list[str], says: str) -> None:
    done = subprocess.run(
        [sys.executable, BENCH, *options], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
