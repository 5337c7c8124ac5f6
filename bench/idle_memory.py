"""Idle memory: `fitcoach serve` (web process and its queue worker) against a bare app.

Starts `fitcoach serve` in the embedded mode (SQLite, its own worker process beside it)
and, as the baseline, a bare Starlette app under the same uvicorn, each in a fresh data
directory; waits until each answers and has been idle a few seconds; prints each
process's resident memory (VmRSS) and peak (VmHWM), against DESIGN.md's target of
under 150 MB per idle process, and as a ratio to the bare app.

    uv run python bench/idle_memory.py [--settle 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TARGET_MB = 150.0
BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def healthz(request):
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/healthz", healthz)])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) of one process, in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def wait_ready(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: {what} exited with code {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"bench: {what} did not answer within 90 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(
    command: list[str], env: dict[str, str], port: int, what: str, settle: float
) -> list[tuple[str, float, float]]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, process, what)
        time.sleep(settle)
        rows = [(what, *memory_mb(process.pid))]
        for child in children(process.pid):
            command_line = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            name = "queue worker" if b" worker" in command_line else "child"
            rows.append((f"{what}: {name}", *memory_mb(child)))
        return rows
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settle", type=float, default=5.0, help="idle seconds before reading")
    args = parser.parse_args()
    if args.settle < 0:
        parser.error("--settle must be 0 or more seconds")
    with tempfile.TemporaryDirectory(prefix="fitcoach-idle-") as workdir:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
        port = free_port()
        fitcoach_env = {
            **base,
            "DATA_DIR": str(Path(workdir) / "fitcoach"),
            "LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": str(Path(workdir) / "metrics"),
        }
        serve = [sys.executable, "-m", "fitcoach.cli", "serve", "--port", str(port)]
        rows = measure(serve, fitcoach_env, port, "fitcoach serve", args.settle)
        bare_dir = Path(workdir) / "bare"
        bare_dir.mkdir()
        (bare_dir / "bare_idle_app.py").write_text(BARE_APP)
        port = free_port()
        bare = [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(bare_dir),
            "bare_idle_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        baseline = measure(bare, base, port, "bare Starlette app", args.settle)[0]
    print(f"idle memory after {args.settle:g} s idle (target: under {TARGET_MB:.0f} MB each)")
    print(f"{'process':<32} {'RSS MB':>8} {'peak MB':>8} {'× bare':>7}  target")
    for what, rss, peak in [*rows, baseline]:
        verdict = "met" if rss < TARGET_MB else "NOT met"
        print(f"{what:<32} {rss:8.1f} {peak:8.1f} {rss / baseline[1]:7.2f}  {verdict}")


if __name__ == "__main__":
    main()
