"""The read side: what the console and chat adapters show, read in one place.

Adapters only translate. They read through these functions and act by sending
commands; none of them opens a unit of work or calls a connector itself, so a
page can never see more, or less, than the handlers decided. Every read here is
a read-only unit of work: a page never waits for a writer, and cannot write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.actions import ActionRequest, ActionSpec, RequestStatus
from bot.core.approvals import Approval
from bot.core.cards import Card
from bot.core.incidents import Incident
from bot.core.timers import Timer
from bot.service.context import Services
from bot.service.notify.rooms import card_of

EVERY_TARGET = "*"


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    pending: int
    next: datetime | None


@dataclass(frozen=True)
class Room:
    incident: Incident
    requests: Sequence[ActionRequest]
    approvals: dict[str, list[Approval]]
    timers: list[Timer]
    entries: list[dict[str, Any]]


@dataclass(frozen=True)
class Preview:
    incident: Incident
    spec: ActionSpec
    text: str | None


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


async def room(svc: Services, incident_id: str) -> Room | None:
    """An incident's room: its requests and their approvals, timers and ledger."""
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
        if incident is None:
            return None
        requests = await uow.incidents.requests_for(incident_id)
        approvals = {
            r.idempotency_key: await uow.incidents.approvals_for(r.idempotency_key)
            for r in requests
        }
        timers = list(await uow.timers.pending(incident_id))
        entries = [json.loads(x) for x in await uow.incidents.evidence_lines(incident_id)]
    return Room(incident, requests, approvals, timers, entries)


async def ledger_size(svc: Services, incident_id: str) -> int:
    """From the ledger's head when it is kept; the entries are counted only without one."""
    async with svc.uow(read_only=True) as uow:
        head = await uow.incidents.ledger_head(incident_id)
        if head is not None:
            return head.size
        return len(await uow.incidents.evidence_lines(incident_id))


async def preview(svc: Services, incident_id: str, action: str, target: str) -> Preview | None:
    """The dry run of an action before anyone asks for it; None when it does not apply.
    A target that cannot be read says so instead of failing the page."""
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
    spec = svc.catalogue.get(action)
    identity = incident.identity(target) if incident else None
    if incident is None or spec is None or (identity is None and target != EVERY_TARGET):
        return None
    text = "applies to every affected identity it fits" if identity is None else None
    if identity is not None and spec.connector in svc.connectors:
        try:
            playbook = svc.playbooks.get(incident.playbook)
            params = playbook.params_for(action, {}) if playbook else {}
            dry = await svc.connectors[spec.connector].plan(action, identity, params)
            text = (
                json.dumps(dry.changes)
                if dry.changes
                else "nothing would change: already in that state"
            )
        except Exception as exc:
            text = f"could not read the target: {exc}"
    return Preview(incident, spec, text)


async def card(svc: Services, incident_id: str) -> Card | None:
    """The incident's card as it stands now (a Teams click is answered with it)."""
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
        return await card_of(uow.incidents, incident, svc) if incident else None
