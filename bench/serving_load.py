"""The open-loop load generator of bench/serving.py, run as its own process.

Reads its orders as JSON on stdin: the port and path, the sessions to pick from at random
(athlete id and session cookie), the rate, the warm-up and measured seconds, the most
connections to open and the seconds a request may take. Request ``i`` is due at
``start + i / rate`` whether or not earlier ones were answered (an open loop: people do
not wait for each other's pages), and its latency is measured from that due time, so
time spent queueing, in this process or the server, counts. Requests go out on plain
HTTP/1.1 keep-alive connections on asyncio streams (a pool that grows as requests
overlap, up to the cap; beyond it a request waits for a connection, its clock running).

Prints ``measuring`` when the first measured request is due and ``measured`` when the
measured window closes, then, once every measured request was answered or timed out, one
JSON line: the measured requests' latencies and errors, the answers received within the
window, how late requests left against their due time, the most requests in flight, and
this process's CPU time and peak memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any


class RawConnection:
    """One keep-alive HTTP/1.1 connection; connects on first use and after a close."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, request: bytes) -> int:
        status_line = b""
        if self.reader is not None:
            # A kept-alive connection the server may have closed meanwhile (uvicorn closes
            # them after 5 s idle): sent again on a new one, as browsers do.
            with contextlib.suppress(ConnectionError):
                status_line = await self.send(request)
        if not status_line:
            self.close()
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            status_line = await self.send(request)
        reader = self.reader
        assert reader is not None
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        chunked = close = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readline()
        else:
            await reader.readexactly(length)
        if close:
            self.close()
        return status

    async def send(self, request: bytes) -> bytes:
        """Send the request; the status line of the answer (empty if the server closed)."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        return await self.reader.readline()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Pool:
    """Idle connections, new ones up to ``size``, then a queue of requests waiting."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.size = size
        self.opened = 0
        self.idle: list[RawConnection] = []
        self.waiting: deque[asyncio.Future[RawConnection]] = deque()

    async def acquire(self) -> RawConnection:
        if self.idle:
            return self.idle.pop()
        if self.opened < self.size:
            self.opened += 1
            return RawConnection(self.port)
        waiter: asyncio.Future[RawConnection] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:  # timed out: a connection handed over goes back
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())
            raise

    def release(self, connection: RawConnection) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():  # a request that timed out while waiting is gone
                waiter.set_result(connection)
                return
        self.idle.append(connection)


async def drive(orders: dict[str, Any]) -> dict[str, Any]:
    port, path = int(orders["port"]), str(orders["path"])
    sessions: list[tuple[int, str]] = [(int(a), str(c)) for a, c in orders["sessions"]]
    rate = float(orders["rate"])
    timeout = float(orders["timeout"])
    warmup_count = round(float(orders["warmup"]) * rate)
    measured_count = max(round(float(orders["seconds"]) * rate), 1)
    pool = Pool(port, int(orders["connections"]))
    rng = random.Random(int(orders.get("seed", 1)))
    start = time.perf_counter() + 0.1
    opens = start + warmup_count / rate
    closes = opens + measured_count / rate
    latencies: list[float] = []
    errors: list[str] = []
    answered_in_window = 0
    lateness: list[float] = []
    in_flight = peak_in_flight = 0
    cpu_start = 0.0

    async def one(due: float, measured: bool, athlete: int, cookie: str) -> None:
        nonlocal answered_in_window, in_flight, peak_in_flight
        in_flight += 1
        peak_in_flight = max(peak_in_flight, in_flight)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: fitcoach_session={cookie}\r\nx-athlete: {athlete}\r\n\r\n"
        ).encode()
        problem: str | None = None
        connection: RawConnection | None = None
        try:
            async with asyncio.timeout(timeout):
                connection = await pool.acquire()
                status = await connection.get(request)
            if status != 200:
                problem = str(status)
        except TimeoutError:
            problem = "timeout"
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
            problem = type(error).__name__
        done = time.perf_counter()
        if connection is not None:
            if problem is not None:
                connection.close()  # a reply cut short leaves the stream mid-message
            pool.release(connection)
        in_flight -= 1
        if opens <= done < closes and problem is None:
            answered_in_window += 1
        if measured:
            latencies.append(done - due)
            if problem is not None:
                errors.append(problem)

    tasks: set[asyncio.Task[None]] = set()
    for index in range(warmup_count + measured_count):
        due = start + index / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        measured = index >= warmup_count
        if index == warmup_count:
            print("measuring", flush=True)
            cpu_start = time.process_time()
        if measured:
            lateness.append(time.perf_counter() - due)
        task = asyncio.create_task(one(due, measured, *rng.choice(sessions)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if (wait := closes - time.perf_counter()) > 0:
        await asyncio.sleep(wait)
    print("measured", flush=True)
    cpu_end = time.process_time()
    if tasks:
        await asyncio.gather(*tasks)
    lateness.sort()
    return {
        "latencies": latencies,
        "errors": errors,
        "answered_in_window": answered_in_window,
        "late_p99": lateness[int(0.99 * (len(lateness) - 1))],
        "peak_in_flight": peak_in_flight,
        "connections": pool.opened,
        "cpu_seconds": cpu_end - cpu_start,
        "peak_rss_kb": peak_rss_kb(),
    }


def peak_rss_kb() -> int:
    # VmHWM, not getrusage: ru_maxrss survives exec and would count the parent's memory.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    orders = json.loads(sys.stdin.read())
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(drive(orders))
    else:
        result = uvloop.run(drive(orders))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
