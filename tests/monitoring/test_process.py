"""Where processes keep their metrics, and when a previous run's files are cleared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fitcoach.core.settings import Mode, load_settings
from fitcoach.monitoring.process import claim_directory, metrics_directory


def test_the_directory_defaults_under_data_dir_in_the_embedded_mode(
    isolated_settings: Path, tmp_path: Path
) -> None:
    assert metrics_directory(load_settings()) == isolated_settings / "metrics"
    chosen = tmp_path / "shm"
    assert metrics_directory(load_settings(prometheus_multiproc_dir=str(chosen))) == chosen
    production = load_settings().model_copy(update={"fitcoach_mode": Mode.PRODUCTION})
    assert metrics_directory(production) is None


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_previous_runs_files_go_when_none_of_its_processes_lives(tmp_path: Path) -> None:
    gone, me = dead_pid(), os.getpid()
    (tmp_path / f"counter_{gone}.db").write_bytes(b"old")
    (tmp_path / f"gauge_mostrecent_{gone}.db").write_bytes(b"old")
    (tmp_path / f"{gone}.pid").touch()
    (tmp_path / f"histogram_{me}.db").write_bytes(b"mine")  # written before claiming
    claim_directory(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        ".lock",
        f"{me}.pid",
        f"histogram_{me}.db",
    ]


def test_a_live_processs_files_stay(tmp_path: Path) -> None:
    alive = os.getppid()  # whoever started the tests: alive while they run
    gone = dead_pid()
    # A live writer that has not claimed yet is known by its value file alone.
    (tmp_path / f"counter_{alive}.db").write_bytes(b"live")
    (tmp_path / f"counter_{gone}.db").write_bytes(b"exited, counted")
    claim_directory(tmp_path)
    assert (tmp_path / f"counter_{alive}.db").read_bytes() == b"live"
    assert (tmp_path / f"counter_{gone}.db").exists()  # counters never go backwards
    assert (tmp_path / f"{os.getpid()}.pid").exists()


def test_a_configured_directory_that_does_not_exist_yet_is_made_before_any_series(
    tmp_path: Path,
) -> None:
    """Every command imports the database module, whose query metrics make their series at
    import: prometheus-client opens its files there at once."""
    directory = tmp_path / "not" / "yet" / "metrics"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-m", "fitcoach.cli", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert directory.is_dir()
