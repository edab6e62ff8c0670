"""Recording an offer of command, shared by the commander's handoff and the escalation.

Not a handler: the escalation timer records its offer through this in the same
transaction as its claim, so the offer commits with the timer or not at all (a
crash between the two can neither lose it nor make it twice).
"""

from __future__ import annotations

from bot.core.escalation import StallKind, step_due
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Handoff, Incident
from bot.core.ports import UnitOfWork
from bot.service.context import Services


async def offer(uow: UnitOfWork, incident: Incident, handoff: Handoff, svc: Services) -> None:
    """Record the offer and start the not-accepted ladder; command does not move yet."""
    incident.pending_handoff = handoff
    await uow.incidents.save(incident)
    await uow.incidents.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=What.HANDOFF_PROPOSED,
            actor=handoff.proposed_by,
            at=svc.clock.now(),
            why="escalation: commander unresponsive" if handoff.by_escalation else "",
            before={"commander": incident.commander.principal if incident.commander else None},
            after={"proposed": handoff.to.principal},
        )
    )
    if not handoff.by_escalation:
        first = svc.playbooks[incident.playbook].ladder(StallKind.HANDOFF_NOT_ACCEPTED)[0]
        now = svc.clock.now()
        await uow.timers.arm(
            incident.id,
            StallKind.HANDOFF_NOT_ACCEPTED,
            handoff.to.principal,
            now,
            step_due(now, first),
        )
