"""The work that follows an answer: a bounded queue and a few workers the app owns.

A door answers as soon as what it was asked is durable (the intent, the
declaration); the slow rest of the chain (the connector call, the checkpoint,
card updates, notices, opening the room) is put here and runs after the answer
has gone. Nothing here is the only copy of anything: every job continues a chain
whose start is committed, and what a crash loses from this queue is picked up by
the outbox and the reconciler (see ``MessageBus.accept``). The queue is bounded,
so a flood slows the doors down (backpressure) instead of growing without limit,
and it is drained on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
QUEUE_SIZE = 1000
WORKERS = 8
DRAIN_S = 30.0


class Backlog:
    """Jobs run by ``workers`` tasks; ``put`` waits when ``size`` jobs are waiting."""

    def __init__(
        self, size: int = QUEUE_SIZE, workers: int = WORKERS, drain_s: float = DRAIN_S
    ) -> None:
        self.drain_s = drain_s
        self._size = size
        self._count = workers
        self._queue: asyncio.Queue[Job] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return bool(self._workers)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the workers run on (tests in another thread wait on it)."""
        return self._loop

    def start(self) -> None:
        """Must run inside the event loop that serves the doors."""
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(self._size)
        self._workers = [
            asyncio.create_task(self._work(self._queue), name=f"backlog-{n}")
            for n in range(self._count)
        ]

    async def put(self, job: Job) -> None:
        """Queue ``job``; without running workers (a CLI, a unit test) run it now."""
        if self._queue is None or not self._workers:
            await _run(job)
            return
        await self._queue.put(job)

    async def idle(self) -> None:
        """Every queued job has finished (tests wait on this, through a fixture)."""
        if self._queue is not None:
            await self._queue.join()

    async def stop(self) -> None:
        """Finish what is queued (within ``drain_s``), then stop the workers. A job left
        over is not lost: its chain's start is durable and the reconciler settles it."""
        if self._queue is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), self.drain_s)
        except TimeoutError:
            log.warning("%d background jobs left on shutdown", self._queue.qsize())
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        self._queue = None

    async def _work(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            job = await queue.get()
            try:
                await _run(job)
            finally:
                queue.task_done()


async def _run(job: Job) -> None:
    try:
        await job()
    except Exception:
        log.exception("a background job failed; its start is durable and will be settled")
