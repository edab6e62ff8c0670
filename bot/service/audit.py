"""The audit right: who may read and export an incident's evidence, and the record
every export leaves in the ledger.

Taking evidence away is itself evidence: an auditor reviewing the ledger later
sees who exported it and when. A refused export changes nothing and records
nothing, so a user without the right cannot grow an incident's ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.core.actors import Actor
from bot.core.commands import ExportEvidence, RecordDoorRefusal
from bot.core.events import DoorRefused, Event, EvidenceExported, Refused, TurnedAway
from bot.core.evidence import EvidenceRecord, What
from bot.core.roles import Right
from bot.service.checkpoints import checkpoint
from bot.service.context import Services

NO_RIGHT = "exporting or reading evidence needs the audit right"


async def may_audit(svc: Services, incident_id: str, actor: Actor) -> bool | None:
    """True or False for an existing incident; None when there is no such incident."""
    async with svc.uow(read_only=True) as uow:
        incident = await uow.incidents.get(incident_id)
    if incident is None:
        return None
    playbook = svc.playbooks.get(incident.playbook)
    return playbook is not None and playbook.holds(actor, Right.AUDIT)


async def export_evidence(cmd: ExportEvidence, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        if incident is None:
            return [TurnedAway("", cmd.actor, f"no incident {cmd.incident_id}")]
        playbook = svc.playbooks.get(incident.playbook)
        if playbook is None or not playbook.holds(cmd.actor, Right.AUDIT):
            return [Refused(incident.id, cmd.actor, NO_RIGHT)]
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=incident.id,
                what=What.EVIDENCE_EXPORTED,
                actor=cmd.actor,
                at=svc.clock.now(),
                right=Right.AUDIT.value,
                details={"through": cmd.through},
            )
        )
        size = await checkpoint(uow.incidents, svc.signer, incident.id)
        await uow.commit()
    return [EvidenceExported(incident.id, cmd.actor, size)]


async def signed_ledger(
    svc: Services, incident_id: str, size: int | None = None
) -> tuple[list[bytes], list[str]]:
    """The ledger's first ``size`` entries (all without one) and the checkpoints signed
    over them. Entries are append-only, so a prefix with its checkpoints is consistent
    even while the incident goes on."""
    async with svc.uow(read_only=True) as uow:
        lines = list(await uow.incidents.evidence_lines(incident_id))
        signed = list(await uow.incidents.checkpoints(incident_id))
    upto = len(lines) if size is None else size
    return lines[:upto], [note for covered, note in signed if covered <= upto]


async def record_door_refusal(cmd: RecordDoorRefusal, svc: Services) -> Sequence[Event]:
    """A request refused at the door (another workspace) that touched an incident is
    part of that incident's story: an auditor sees who tried what, from where."""
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        if incident is None:
            return []
        door: dict[str, object] = {"door": cmd.door}
        refused = EvidenceRecord(incident.id, What.REQUEST_REFUSED, cmd.actor, svc.clock.now())
        await uow.incidents.append_evidence(
            replace(refused, why=cmd.reason, outcome="refused", details=door)
        )
        await uow.commit()
    return [DoorRefused(incident.id, cmd.actor, cmd.reason)]
