"""An ASGI app served by uvicorn on a free 127.0.0.1 port in a daemon thread, for benches
that drive the Strava simulator in the same process (imported as a sibling module: the
benches run as scripts, so bench/ is on sys.path)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Literal

import uvicorn


class LoopbackServer:
    """``app`` on a loopback port until ``stop()``; ``url`` is its base address."""

    def __init__(
        self, app: Any, lifespan: Literal["on", "off", "auto"] = "off", timeout_s: float = 60
    ) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self._socket.close()
                raise RuntimeError(f"the server did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=60)
        self._socket.close()
