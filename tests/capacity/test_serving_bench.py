"""bench/serving.py end to end on a tiny SQLite store: the three servers answer, the
figures are printed, and serving from the store makes no Strava call."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_serving_benchmark_runs_and_reports(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "serving.py"),
        "--athletes", "6",
        "--activities", "60",
        "--seconds", "0.5",
        "--warmup", "0.1",
        "--rounds", "2",
        "--clients", "2",
        "--databases", "sqlite",
        "--read-concurrency", "1",
        "--store-dir", str(tmp_path / "store"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "page reads 1 at a time in both servers" in out
    for endpoint in ("/partials/dashboard", "/api/strava/activities"):
        section = out.split(f"sqlite {endpoint}:")[1].split("\n\n")[0]
        for label in ("bare, all threads", "bare, same turns", "fitcoach"):
            pattern = rf"^  {re.escape(label)} \((\d)\)\s+([\d.]+)\s.*?\s(\d+)\s+\d+%"
            runs = re.findall(pattern, section, re.M)
            assert [run[0] for run in runs] == ["1", "2"], (label, section[:1500])
            assert all(float(rate) > 0 and errors == "0" for _, rate, errors in runs)
            assert re.search(rf"^  {re.escape(label)} \(median\)\s+[\d.]+\s+runs: ", section, re.M)
    assert re.search(r"sqlite\s+dashboard\s+[\d.]+\s+\(goal", out)
    assert re.search(r"sqlite\s+activities\s+[\d.]+\s+\(goal", out)
    assert "Strava connections attempted: 0 (want 0)" in out


def test_bad_options_are_one_clear_line(tmp_path: Path) -> None:
    bench = str(ROOT / "bench" / "serving.py")
    for options, says in (
        (["--read-concurrency", "-1"], "--read-concurrency must be 0"),
        (["--databases", "mysql"], "--databases"),
        (["--rounds", "0"], "--rounds"),
    ):
        done = subprocess.run(
            [sys.executable, bench, *options], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2 and says in done.stderr
        assert "Traceback" not in done.stderr
