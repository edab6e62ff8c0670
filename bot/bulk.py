"""One action on every affected identity it fits: bounded concurrency, the system's
rate limit, and the card updated as it goes.

Each target goes through the same path as a single click (its own right check,
idempotency key, intent, snapshot, outcome), so a bulk run interrupted halfway
can simply be requested again: finished targets are duplicates, not repeats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from aiolimiter import AsyncLimiter

from bot.core.actions import RequestStatus
from bot.core.cards import ALL_TARGETS
from bot.core.commands import RequestAction
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ActionSettled,
    BulkSettled,
    Event,
)
from bot.services import Services

ALL = ALL_TARGETS
CONCURRENCY = 8
PROGRESS_EVERY = 10


async def request_bulk(cmd: RequestAction, svc: Services) -> Sequence[Event]:
    from bot.containment import request_action  # one path per target
    from bot.notifications import refresh_card_of

    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id)
    spec = svc.catalogue.get(cmd.action_id)
    if incident is None or spec is None:
        return [ActionRefused(cmd.incident_id, cmd.actor, cmd.action_id, "no such action here")]
    targets = [i.key for i in incident.identities if spec.applies_to(i.kind)]
    connector = svc.connectors.get(spec.connector)
    limiter = AsyncLimiter(getattr(connector, "rate_per_s", 10.0), 1)
    gate = asyncio.Semaphore(CONCURRENCY)
    done = 0

    async def one(target_key: str) -> Event:
        nonlocal done
        async with gate, limiter:
            (event,) = await request_action(replace(cmd, target_key=target_key), svc)
        done += 1
        if done % PROGRESS_EVERY == 0:
            await refresh_card_of(cmd.incident_id, svc)
        return event

    events = await asyncio.gather(*(one(t) for t in targets))
    return [_summary(cmd, events)]


def _summary(cmd: RequestAction, events: Sequence[Event]) -> BulkSettled:
    settled = [e for e in events if isinstance(e, ActionSettled)]
    ok = sum(1 for e in settled if e.status is RequestStatus.SUCCEEDED)
    skipped = sum(1 for e in events if isinstance(e, ActionDuplicate | ActionRefused))
    return BulkSettled(
        cmd.incident_id,
        cmd.actor,
        cmd.action_id,
        total=len(events),
        succeeded=ok,
        failed=len(settled) - ok,
        skipped=skipped,
    )
