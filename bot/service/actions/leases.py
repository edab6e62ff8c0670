"""Holding the lease of a connector call while it runs.

A call can outlive any fixed age (a slow cloud API, IAM propagation), so the
reconciler cannot tell a live call from an abandoned one by its age. Instead the
process making the call holds a lease on the request and renews it, from a
background task, every third of its length; the reconciler only settles intents
whose lease has lapsed. If the process dies, renewals stop and the lease lapses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from bot.service.context import Services

log = logging.getLogger(__name__)
MIN_RENEW_S = 0.05  # a very short lease (tests) still yields to the event loop


def lease_owner() -> str:
    """Names one call of this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def held(key: str, svc: Services) -> AsyncIterator[bool]:
    """Take the lease on request ``key`` and keep renewing it until the block ends.

    Yields False (and holds nothing) when the request is no longer running or a
    live holder elsewhere has it: then the caller must not make the call.
    """
    owner = lease_owner()
    async with svc.uow() as uow:
        expires = await uow.incidents.take_lease(key, owner, svc.call_lease_s, svc.clock.now())
        await uow.commit()
    if expires is None:
        yield False
        return
    renewer = asyncio.create_task(_renew(key, owner, svc), name=f"lease {key[:12]}")
    try:
        yield True
    finally:
        renewer.cancel()
        with suppress(asyncio.CancelledError):
            await renewer


async def _renew(key: str, owner: str, svc: Services) -> None:
    every = max(svc.call_lease_s / 3, MIN_RENEW_S)
    while True:
        await asyncio.sleep(every)
        try:
            async with svc.uow() as uow:
                expires = await uow.incidents.renew_lease(
                    key, owner, svc.call_lease_s, svc.clock.now()
                )
                await uow.commit()
        except Exception:
            log.exception("renewing the lease on request %s failed; trying again", key)
            continue
        if expires is None:  # settled (here or by the reconciler): nothing left to hold
            log.info("the lease on request %s ended: it is no longer running", key)
            return
