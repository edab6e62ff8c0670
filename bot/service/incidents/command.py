"""The chain of command: acknowledge, propose a handoff, accept it, snooze a reminder.

There is never a moment with no commander and never two: a proposed
commander has no command until they accept, and accepting swaps the two in
one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.core.actors import Actor
from bot.core.commands import (
    AcceptCommand,
    AcknowledgeCommand,
    ProposeHandoff,
    Snooze,
)
from bot.core.escalation import StallKind
from bot.core.events import (
    CommandAcknowledged,
    CommandChanged,
    Event,
    HandoffProposed,
    Refused,
    Told,
    TurnedAway,
)
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Handoff, Incident
from bot.core.measures import TIME_TO_ACKNOWLEDGE
from bot.service.context import Services
from bot.service.incidents.handoff import offer
from bot.service.incidents.lookup import locked_incident

NOT_FOUND = "no incident here: use this in the incident's channel"


async def acknowledge(cmd: AcknowledgeCommand, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await locked_incident(uow.incidents, cmd.incident_id, cmd.room)
        if incident is None:
            return [TurnedAway("", cmd.actor, NOT_FOUND)]
        if incident.commander != cmd.actor:
            return [Refused(incident.id, cmd.actor, "only the incident commander acknowledges")]
        incident.commander_acknowledged = True
        await uow.incidents.save(incident)
        await uow.timers.cancel(incident.id, StallKind.COMMANDER_NOT_ACKNOWLEDGED)
        entry = _entry(incident, cmd.actor, What.COMMAND_ACKNOWLEDGED, svc)
        await uow.incidents.append_evidence(entry)
        await uow.commit()
    svc.metrics.observe(TIME_TO_ACKNOWLEDGE, (entry.at - incident.declared_at).total_seconds())
    return [CommandAcknowledged(incident.id, cmd.actor)]


async def propose_handoff(cmd: ProposeHandoff, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await locked_incident(uow.incidents, cmd.incident_id, cmd.room)
        if incident is None:
            return [TurnedAway("", cmd.actor, NOT_FOUND)]
        why_not = _handoff_refusal(incident, cmd)
        if why_not is not None:
            return [Refused(incident.id, cmd.actor, why_not)]
        await offer(uow, incident, Handoff(cmd.to, cmd.actor, svc.clock.now()), svc)
        await uow.commit()
    return [HandoffProposed(incident.id, to=cmd.to)]


def _handoff_refusal(incident: Incident, cmd: ProposeHandoff) -> str | None:
    if incident.commander != cmd.actor:
        return "only the incident commander may hand off command"
    if cmd.to == cmd.actor:
        return "you are already the commander"
    if not incident.is_open:
        return f"{incident.id} is {incident.status.value}"
    return None


async def accept(cmd: AcceptCommand, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        if incident is None:
            return [TurnedAway("", cmd.actor, "no such incident")]
        handoff = incident.pending_handoff
        if handoff is None or handoff.to != cmd.actor:
            return [Refused(incident.id, cmd.actor, "command was not offered to you")]
        before = incident.assign_commander(cmd.actor, svc.clock.now(), accepted=True)
        await uow.incidents.save(incident)
        for kind in (StallKind.HANDOFF_NOT_ACCEPTED, StallKind.COMMANDER_NOT_ACKNOWLEDGED):
            await uow.timers.cancel(incident.id, kind)
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=incident.id,
                what=What.COMMANDER_HANDED_OVER,
                actor=cmd.actor,
                at=svc.clock.now(),
                why="accepted" + (" after escalation" if handoff.by_escalation else ""),
                before={"commander": before.principal if before else None},
                after={"commander": cmd.actor.principal},
            )
        )
        await uow.commit()
    return [CommandChanged(incident.id, before=before, after=cmd.actor)]


async def snooze(cmd: Snooze, svc: Services) -> Sequence[Event]:
    if not 1 <= cmd.minutes <= 24 * 60 or not cmd.reason.strip():
        return [TurnedAway("", cmd.actor, "snooze needs 1-1440 minutes and a reason")]
    async with svc.uow() as uow:
        incident = await locked_incident(uow.incidents, cmd.incident_id, cmd.room)
        if incident is None:
            return [TurnedAway("", cmd.actor, NOT_FOUND)]
        if incident.commander != cmd.actor:
            return [Refused(incident.id, cmd.actor, "only the incident commander may snooze")]
        until = svc.clock.now() + timedelta(minutes=cmd.minutes)
        moved = await uow.timers.postpone(incident.id, cmd.kind, until)
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=incident.id,
                what=What.REMINDER_SNOOZED,
                actor=cmd.actor,
                at=svc.clock.now(),
                why=cmd.reason,
                details={"kind": cmd.kind.value, "until": until.isoformat(), "timers": moved},
            )
        )
        await uow.commit()
    return [Told(incident.id, cmd.actor, f"Snoozed {moved} reminder(s) until {until:%H:%M} UTC.")]


def _entry(incident: Incident, actor: Actor, what: What, svc: Services) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=what,
        actor=actor,
        at=svc.clock.now(),
        after={"commander": actor.principal},
    )
