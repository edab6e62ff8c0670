"""Serve an ASGI app with uvicorn in a background thread on 127.0.0.1, for tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

START_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServedApp:
    def __init__(self, app: Any, tls: tuple[str, str] | None = None) -> None:
        """``tls``: (certificate file, key file) to serve https."""
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        certfile, keyfile = tls or (None, None)
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT_S)


def settle(backlog: Any, timeout_s: float = START_TIMEOUT_S) -> None:
    """Wait (bounded) until a served app's backlog (``bot.app.Wired.backlog``) has run
    every job queued so far: the work its doors left for after their answer."""
    loop = backlog.loop
    if loop is None or not backlog.running:
        return
    asyncio.run_coroutine_threadsafe(backlog.idle(), loop).result(timeout_s)
