"""The incident a log line is about, carried in a context variable.

Set as each command is run (the bus screens every command, follow-ups
included), so every line logged while handling it, by our code or a library's,
can name the incident without each call site passing it along. Each request and
each background task has its own context, so one incident's id never leaks into
another's lines; a command about no incident clears it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol, TypeVar

T = TypeVar("T")

INCIDENT: ContextVar[str | None] = ContextVar("blastwall_incident", default=None)


def bind_incident(command: T) -> T:
    """Note the command's incident (or none) for the log lines that follow; pass it on."""
    incident_id = getattr(command, "incident_id", None)
    INCIDENT.set(incident_id if isinstance(incident_id, str) and incident_id else None)
    return command


def about_incident(incident_id: str | None) -> None:
    """Note the incident a loop over many (anchoring, the outbox) is now working on."""
    INCIDENT.set(incident_id or None)


def current_incident() -> str | None:
    return INCIDENT.get()


class Deferral(Protocol):
    async def put(self, job: Callable[[], Awaitable[object]]) -> None: ...


class IncidentCarrying:
    """A deferral whose jobs run in the context they were deferred from: the
    backlog runs them in a worker task of its own, with a context of its own, so
    without this a deferred connector call would log no incident and start a
    trace of its own instead of continuing the click's."""

    def __init__(self, inner: Deferral) -> None:
        self._inner = inner

    async def put(self, job: Callable[[], Awaitable[object]]) -> None:
        deferred_from = contextvars.copy_context()

        async def as_deferred() -> object:
            return await asyncio.create_task(_awaited(job), context=deferred_from)

        await self._inner.put(as_deferred)


async def _awaited(job: Callable[[], Awaitable[object]]) -> object:
    return await job()
