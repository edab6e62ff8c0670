"""Moving an incident along its lifecycle: only its commander may, and only legally.

Closing seals the ledger: a final signed checkpoint commits with the change.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.checkpoints import checkpoint
from bot.core.commands import ChangeStatus
from bot.core.events import Event, StatusChanged, StatusRefused
from bot.core.evidence import EvidenceRecord
from bot.core.incidents import TRANSITIONS, IllegalTransition, Incident, Status
from bot.core.ports import IncidentStore
from bot.services import Services


async def change_status(cmd: ChangeStatus, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await _find(uow.incidents, cmd)
        if incident is None:
            return [StatusRefused("", cmd.actor, "no incident here: name one, or use its room")]
        refusal = _refusal(incident, cmd)
        if refusal is not None:
            await uow.incidents.append_evidence(
                _record(incident, cmd, svc, "status change refused", refusal)
            )
            await uow.commit()
            return [StatusRefused(incident.id, cmd.actor, refusal)]
        before = incident.transition(cmd.status)
        await uow.incidents.save(incident)
        await uow.incidents.append_evidence(
            _record(incident, cmd, svc, "status changed", None, before)
        )
        if cmd.status is Status.CLOSED:
            await checkpoint(uow.incidents, svc.signer, incident.id)
        await uow.commit()
    return [StatusChanged(incident.id, cmd.actor, before.value, cmd.status.value)]


async def _find(store: IncidentStore, cmd: ChangeStatus) -> Incident | None:
    found = None
    if cmd.incident_id is not None:
        found = await store.get(cmd.incident_id, for_update=True)
    elif cmd.room is not None:
        found = await store.find_by_room(*cmd.room)
    return await store.get(found.id, for_update=True) if found else None


def _refusal(incident: Incident, cmd: ChangeStatus) -> str | None:
    if incident.commander != cmd.actor:
        return "only the incident commander may change its status"
    if cmd.status not in TRANSITIONS[incident.status]:
        return str(IllegalTransition(incident.status, cmd.status))
    return None


def _record(
    incident: Incident,
    cmd: ChangeStatus,
    svc: Services,
    what: str,
    refusal: str | None,
    before: Status | None = None,
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=what,
        actor=cmd.actor,
        at=svc.clock.now(),
        why=cmd.reason,
        before={"status": (before or incident.status).value},
        after=None if refusal else {"status": cmd.status.value},
        outcome=refusal or ("sealed" if cmd.status is Status.CLOSED else None),
    )
