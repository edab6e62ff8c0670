"""Collecting queued identity activity into the ledger, each collection exactly once.

The scheduler's ``CollectActivity`` claims queued collections (a claim that
lapses, so a crashed process's work is taken over), reads each from its source
outside any transaction, and writes the result in one transaction that also
marks the collection done only if this process still holds it. So a retry, a
second replica or a takeover after a lapsed claim never records one collection
twice. The vendor read is bounded by half the claim, so it ends before another
process may take it over.

A vendor's failure is recorded (``ACTIVITY_COLLECTED`` with its error) and ends
the collection: the declaration or close it followed has long committed. Every
vendor event passes the deployment's redactor before it is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from bot.core.activity import (
    ActivityEvent,
    ActivityReport,
    ActivityUnavailable,
    ActivityWindow,
    Collection,
    iso,
)
from bot.core.actors import SYSTEM
from bot.core.commands import CollectActivity
from bot.core.events import Event
from bot.core.evidence import EvidenceRecord, What
from bot.service.activity.queueing import source_for
from bot.service.context import Services

log = logging.getLogger(__name__)


async def collect_activity(cmd: CollectActivity, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        claimed = await uow.activity.claim(
            cmd.claimer, svc.clock.now(), svc.activity.claim_s, cmd.limit
        )
        await uow.commit()
    for collection in claimed:
        report = await _read(collection, svc)
        await _record(collection, cmd.claimer, report, svc)
    return []


async def _read(collection: Collection, svc: Services) -> ActivityReport | ActivityUnavailable:
    """The source's answer, or why there is none; never raises."""
    window = ActivityWindow(collection.since, collection.until, svc.activity.max_events)
    source = source_for(collection.identity, svc)
    if source is None:
        return ActivityUnavailable("none", {}, "no configured connector reads this identity")
    try:
        return await asyncio.wait_for(
            source.activity(collection.identity, window), svc.activity.claim_s / 2
        )
    except ActivityUnavailable as exc:
        return exc
    except TimeoutError:
        return ActivityUnavailable("unknown", {}, f"no answer within {svc.activity.claim_s / 2}s")
    except Exception as exc:
        log.exception("reading activity of %s failed", collection.identity_key)
        return ActivityUnavailable("unknown", {}, f"{type(exc).__name__}: {exc}")


async def _record(
    collection: Collection, owner: str, report: ActivityReport | ActivityUnavailable, svc: Services
) -> None:
    now = svc.clock.now()
    async with svc.uow() as uow:
        incident = await uow.incidents.get(collection.incident_id, for_update=True)
        if incident is None or not await uow.activity.finish(collection, owner, now):
            return  # taken over by another process after this one's claim lapsed
        if isinstance(report, ActivityReport):
            for event in report.events:
                await uow.incidents.append_evidence(_event(collection, report, event, now, svc))
        await uow.incidents.append_evidence(_summary(collection, report, now, svc))
        await uow.commit()


def _event(
    collection: Collection,
    report: ActivityReport,
    event: ActivityEvent,
    now: datetime,
    svc: Services,
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=collection.incident_id,
        what=What.IDENTITY_ACTIVITY,
        actor=SYSTEM,
        at=now,
        why=f"{event.name} by {event.actor} at {iso(event.at)}"[:500],
        details=svc.redact(
            {
                "source": report.source,
                "query": report.query,
                "identity": collection.identity_key,
                "phase": collection.phase.value,
                "event": event.as_details(),
            }
        ),
    )


def _summary(
    collection: Collection,
    report: ActivityReport | ActivityUnavailable,
    now: datetime,
    svc: Services,
) -> EvidenceRecord:
    failed = isinstance(report, ActivityUnavailable)
    return EvidenceRecord(
        incident_id=collection.incident_id,
        what=What.ACTIVITY_COLLECTED,
        actor=SYSTEM,
        at=now,
        why=f"identity activity {collection.phase.value}: {collection.identity_key}",
        outcome="failed" if failed else "collected",
        details=svc.redact(
            {
                "source": report.source,
                "query": report.query,
                "phase": collection.phase.value,
                "identity": collection.identity_key,
                "window": {"since": iso(collection.since), "until": iso(collection.until)},
                "max_events": svc.activity.max_events,
                **_result(report),
            }
        ),
    )


def _result(report: ActivityReport | ActivityUnavailable) -> dict[str, object]:
    if isinstance(report, ActivityUnavailable):
        return {"count": 0, "truncated": False, "error": report.reason}
    return {"count": len(report.events), "truncated": report.truncated, "error": None}
