"""Processes of a production-mode installation on loopback, for the smoke test.

Each service runs in a session of its own, so that killing it (SIGKILL to the group) takes
its children too, and the `finally` of a failed test leaves nothing running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def fitcoach(*args: str) -> list[str]:
    """The command line of `fitcoach ARGS` in this interpreter (the console script's twin)."""
    return [sys.executable, "-m", "fitcoach.cli", *args]


class Service:
    """One long-running process (and its children), logging to a file."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.log = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.groups: list[int] = []  # every session started, for the final clean-up

    def start(self) -> Service:
        with self.log.open("ab") as handle:
            handle.write(f"--- start {' '.join(self.argv[1:])}\n".encode())
            handle.flush()
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.groups.append(self.process.pid)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: the process and every child it started."""
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError):  # the group is gone already
                os.killpg(group, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def signal(self, number: signal.Signals) -> None:
        """A signal to the process alone (a supervisor passes it on to its children)."""
        if self.process is not None and self.running():
            self.process.send_signal(number)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the process is still running after `timeout` s."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def run(argv: Sequence[str], env: dict[str, str], timeout: float = 120) -> str:
    """A one-shot command (release step, webhook registration); its output, or a failure."""
    done = subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(argv[2:])} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def children(parent: int) -> list[int]:
    """Live processes whose parent is `parent` (read from /proc)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def web_processes(server: Service) -> list[int]:
    """uvicorn's worker processes under `fitcoach serve --workers N` (spawned children)."""
    pids = []
    for pid in children(server.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            pids.append(pid)
    return sorted(pids)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> float:
    """Poll until `condition` holds; the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a live process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command: state is field 3 of stat(5); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
