"""Queueing an incident's identity activity, in the transaction of the change that calls for it.

A declaration queues each identity's activity before it; resolving or closing
queues each identity's activity since its last collection (or, for an identity
that had none, since the lookback before the declaration). Nothing is read
here: the scheduler's ``CollectActivity`` reads it after this commits, so a
slow or failing vendor never holds up ``/alerts`` or a click. The queue's key
(incident, identity, phase) makes a retried declaration or a second close a no-op.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.activity import Collection, Phase, collection_window
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident
from bot.core.ports import ActivitySource, UnitOfWork
from bot.service.context import Services


def activity_sources(svc: Services) -> list[ActivitySource]:
    """The configured connectors that can read activity (the port is optional)."""
    return [c for c in svc.connectors.values() if isinstance(c, ActivitySource)]


def source_for(identity: AffectedIdentity, svc: Services) -> ActivitySource | None:
    return next((s for s in activity_sources(svc) if s.covers(identity)), None)


async def queue_activity(uow: UnitOfWork, incident: Incident, phase: Phase, svc: Services) -> int:
    """Queue a collection for each of the incident's identities some source covers;
    returns how many were newly queued."""
    if not svc.activity.enabled:
        return 0
    now = svc.clock.now()
    lookback = timedelta(seconds=svc.activity.lookback_s)
    queued = 0
    for identity in incident.identities:
        if source_for(identity, svc) is None:
            continue
        last = await uow.activity.last_until(incident.id, identity.key)
        since, until = collection_window(phase, incident.declared_at, now, lookback, last)
        collection = Collection(incident.id, identity, phase, since, until)
        queued += await uow.activity.add(collection, now)
    return queued
