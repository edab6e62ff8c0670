"""Moving an incident along its lifecycle: only its commander may, and only legally.

Resolving and closing write the post-incident review into the ledger
(``bot.service.incidents.review``). Closing seals the ledger: a final signed
checkpoint, over the review too, commits with the change.
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
from bot.service.frameworks import FRAMEWORKS, playbook_frameworks
from bot.service.incidents.lookup import locked_incident
from bot.service.incidents.review import write_review

REVIEWED = (Status.RESOLVED, Status.CLOSED)


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
        events = await _change(uow, incident, cmd, svc)
        await uow.commit()
    return events


async def _change(
    uow: UnitOfWork, incident: Incident, cmd: ChangeStatus, svc: Services
) -> list[Event]:
    """The change, its entry, the clocks, and for a finished incident its review (and at
    close the seal over all of it)."""
    before = incident.transition(cmd.status)
    await uow.incidents.save(incident)
    await uow.incidents.append_evidence(
        _record(incident, cmd, svc, What.STATUS_CHANGED, None, before)
    )
    await _rearm(uow, incident, svc)
    if cmd.status in (Status.RESOLVED, Status.CLOSED):  # once: the queue's key
        await queue_activity(uow, incident, Phase.CLOSED, svc)
    events: list[Event] = [StatusChanged(incident.id, cmd.actor, before.value, cmd.status.value)]
    if cmd.status in REVIEWED:
        events.append(await write_review(uow.incidents, incident.id, svc))
    if cmd.status is Status.CLOSED:
        await checkpoint(uow.incidents, svc.signer, incident.id)
    return events


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
        details={FRAMEWORKS: playbook_frameworks(svc, incident.playbook)},
    )
