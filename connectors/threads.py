"""The worker threads that blocking client libraries (boto3) run on.

``asyncio.to_thread`` uses the event loop's default executor, ``min(32, cpus + 4)``
threads: six on a two-core host, shared with anything else that uses it. A bulk
containment runs ``BLASTWALL_BULK_CONCURRENCY`` targets at a time, each one a
blocking IAM call, so with fewer threads than that the rest queue for a thread,
not for AWS. The composition root creates one pool of exactly that size for the
connectors and shuts it down when the process stops.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
THREAD_PREFIX = "blastwall-connector"


class ConnectorThreads:
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"connector threads: need at least one, not {size}")
        self.size = size
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=THREAD_PREFIX)

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn`` in one of these threads, with the caller's context (as ``to_thread``)."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def shutdown(self) -> None:
        """Stop taking work; calls not yet started are cancelled, running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
