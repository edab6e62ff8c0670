"""Moving an incident along its lifecycle: only its commander may, and only legally.

Closing seals the ledger: a final signed checkpoint commits with the change.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.activity import Phase
from bot.core.commands import ChangeStatus
from bot.core.escalation import SUBJECTS, StallKind, step_due
from bot.core.events import Event, StatusChanged, StatusRefused, TurnedAway
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import TRANSITIONS, IllegalTransition, Incident, Status
from bot.core.ports import UnitOfWork
from bot.service.activity.queueing import queue_activity
from bot.service.checkpoints import checkpoint
from bot.service.context import Services
from bot.service.incidents.lookup import locked_incident


async def change_status(cmd: ChangeStatus, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await locked_incident(uow.incidents, cmd.incident_id, cmd.room)
        if incident is None:
            return [TurnedAway("", cmd.actor, "no incident here: name one, or use its room")]
        refusal = _refusal(incident, cmd)
        if refusal is not None:
            await uow.incidents.append_evidence(
                _record(incident, cmd, svc, What.STATUS_CHANGE_REFUSED, refusal)
            )
            await uow.commit()
            return [StatusRefused(incident.id, cmd.actor, refusal)]
        before = incident.transition(cmd.status)
        await uow.incidents.save(incident)
        await uow.incidents.append_evidence(
            _record(incident, cmd, svc, What.STATUS_CHANGED, None, before)
        )
        await _rearm(uow, incident, svc)
        if cmd.status in (Status.RESOLVED, Status.CLOSED):  # once: the queue's key
            await queue_activity(uow, incident, Phase.CLOSED, svc)
        if cmd.status is Status.CLOSED:
            await checkpoint(uow.incidents, svc.signer, incident.id)
        await uow.commit()
    return [StatusChanged(incident.id, cmd.actor, before.value, cmd.status.value)]


async def _rearm(uow: UnitOfWork, incident: Incident, svc: Services) -> None:
    """A status update restarts the no-update clock; a finished incident stops every clock."""
    if not incident.is_open:
        for kind in StallKind:
            await uow.timers.cancel(incident.id, kind)
        return
    now = svc.clock.now()
    first = svc.playbooks[incident.playbook].ladder(StallKind.NO_STATUS_UPDATE)[0]
    kind = StallKind.NO_STATUS_UPDATE
    await uow.timers.arm(incident.id, kind, SUBJECTS[kind], now, step_due(now, first))


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
    what: What,
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
