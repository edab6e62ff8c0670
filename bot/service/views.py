"""The read side: what the console and chat adapters show, read in one place.

Adapters only translate. They read through these functions and act by sending
commands; none of them opens a unit of work or calls a connector itself, so a
page can never see more, or less, than the handlers decided. Every read here is
a read-only unit of work: a page never waits for a writer, and cannot write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.cards import Card
from bot.core.evidence import What
from bot.core.incidents import Incident
from bot.core.playbooks import Playbook
from bot.core.timers import Timer
from bot.evidence.entry_fields import parse_entries
from bot.evidence.review import timeline as review_timeline
from bot.service.context import Services
from bot.service.dry_run import DryRun, dry_run
from bot.service.notify.rooms import card_of
from bot.service.room_view import Seen, seen_by


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    pending: int
    next: datetime | None


@dataclass(frozen=True)
class Room:
    """The room as ``viewer`` sees it (``seen``: their controls and the reasons)."""

    incident: Incident
    source: str
    seen: Seen
    timers: list[Timer]
    entries: list[dict[str, Any]]
    time_to_acknowledge: int | None  # seconds, from the ledger (as the review counts)
    time_to_contain: int | None


async def incident_list(svc: Services) -> list[IncidentRow]:
    """Every incident, with its requests awaiting approval and its next timer."""
    rows = []
    async with svc.uow(read_only=True) as uow:
        for incident in await uow.incidents.list_incidents():
            requests = await uow.incidents.requests_for(incident.id)
            pending = sum(1 for r in requests if r.status is RequestStatus.AWAITING_APPROVAL)
            due = [t.due_at for t in await uow.timers.pending(incident.id)]
            rows.append(IncidentRow(incident, pending, min(due, default=None)))
    return rows


async def room(svc: Services, incident_id: str, viewer: Actor) -> Room | None:
    """An incident's room: what it is about, who may do what, timers and ledger."""
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
        if incident is None:
            return None
        seen = await seen_by(uow, incident, viewer, svc)
        timers = list(await uow.timers.pending(incident_id))
        lines = list(await uow.incidents.evidence_lines(incident_id))
    entries = [json.loads(x) for x in lines]
    declared: dict[str, Any] = next(
        (e for e in entries if e.get("what") == What.INCIDENT_DECLARED), {}
    )
    source = str((declared.get("details") or {}).get("source") or "unknown")
    times = review_timeline(parse_entries(lines))
    return Room(incident, source, seen, timers, entries, times.tta_seconds, times.ttc_seconds)


async def ledger_size(svc: Services, incident_id: str) -> int:
    """From the ledger's head when it is kept; the entries are counted only without one."""
    async with svc.uow(read_only=True) as uow:
        head = await uow.incidents.ledger_head(incident_id)
        if head is not None:
            return head.size
        return len(await uow.incidents.evidence_lines(incident_id))


async def preview(
    svc: Services, incident_id: str, action: str, target: str, viewer: Actor
) -> DryRun | None:
    """The dry run of an action before anyone asks for it, in words; None when it does
    not apply here. A target that cannot be read says why and how to fix it."""
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
    return await dry_run(svc, incident, action, target, viewer) if incident else None


def manual_playbooks(svc: Services) -> list[Playbook]:
    """The playbooks a person may declare with, and the identity kinds each takes."""
    return sorted((p for p in svc.playbooks.values() if p.trigger.manual), key=lambda p: p.name)


async def card(svc: Services, incident_id: str) -> Card | None:
    """The incident's card as it stands now (a Teams click is answered with it)."""
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
        return await card_of(uow.incidents, incident, svc) if incident else None
