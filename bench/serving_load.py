"""The load generator of bench/serving.py, run as its own process.

Reads its orders as JSON on stdin: the port and path, the sessions to pick from at random
(athlete id and session cookie), the number of concurrent clients, the warm-up and the
measured seconds, and the client: ``raw`` (the default: plain HTTP/1.1 keep-alive on
asyncio streams, a few tens of microseconds of CPU per request, so that the generator
takes as little as possible of the machine's cores from the server it measures) or
``httpx`` (httpx's async client, several times the CPU per request). Each client sends
one request after another on its own connection. Prints ``measuring`` and ``measured``
when the measured window opens and closes, then one JSON line: the latencies of the
requests completed in the window, their errors, and this process's CPU time and peak
memory.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx

# One request for one athlete: returns None when it succeeded, else what went wrong.
Sender = Callable[[int, str], Awaitable[str | None]]


class RawConnection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, request: bytes) -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.reader, self.writer
        writer.write(request)
        status = int((await reader.readline()).split(b" ", 2)[1])
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

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def drive(orders: dict[str, Any]) -> dict[str, Any]:
    port, path = int(orders["port"]), str(orders["path"])
    sessions: list[tuple[int, str]] = [(int(a), str(c)) for a, c in orders["sessions"]]
    clients = int(orders["clients"])
    began = time.perf_counter()
    opens = began + float(orders["warmup"])
    closes = opens + float(orders["seconds"])
    latencies: list[float] = []
    errors: list[str] = []

    def raw_sender() -> Sender:
        connection = RawConnection(port)

        async def send(athlete: int, cookie: str) -> str | None:
            request = (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Cookie: fitcoach_session={cookie}\r\nx-athlete: {athlete}\r\n\r\n"
            ).encode()
            try:
                status = await connection.get(request)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
                connection.close()
                return type(error).__name__
            return None if status == 200 else str(status)

        return send

    # Every request carries the cookie of its athlete: the client must keep none itself.
    no_cookies = httpx.Cookies(CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60, cookies=no_cookies) as client:

        def httpx_sender() -> Sender:
            async def send(athlete: int, cookie: str) -> str | None:
                headers = {"cookie": f"fitcoach_session={cookie}", "x-athlete": str(athlete)}
                try:
                    response = await client.get(f"http://127.0.0.1:{port}{path}", headers=headers)
                except httpx.HTTPError as error:
                    return type(error).__name__
                return None if response.status_code == 200 else str(response.status_code)

            return send

        async def one_client(seed: int) -> None:
            rng = random.Random(seed)
            send = httpx_sender() if orders.get("client") == "httpx" else raw_sender()
            while (sent := time.perf_counter()) < closes:
                problem = await send(*rng.choice(sessions))
                done = time.perf_counter()
                if opens <= done <= closes:
                    latencies.append(done - sent)
                    if problem is not None:
                        errors.append(problem)

        async def marks() -> tuple[float, float]:
            await asyncio.sleep(max(0.0, opens - time.perf_counter()))
            print("measuring", flush=True)
            cpu = time.process_time()
            await asyncio.sleep(max(0.0, closes - time.perf_counter()))
            print("measured", flush=True)
            return cpu, time.process_time()

        marker = asyncio.create_task(marks())
        await asyncio.gather(*(one_client(seed) for seed in range(clients)))
        cpu_start, cpu_end = await marker
    return {
        "latencies": latencies,
        "errors": errors,
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
