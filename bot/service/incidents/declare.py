"""Declaring an incident: pick the playbook, name the commander, record it all.

A further alert about an identity an open incident already covers joins that
incident instead of opening another: one leak, one incident, many identities.
Declarations about one identity are serialised (``lock_identities``: an advisory
lock on PostgreSQL, the write lock on SQLite), so a burst split across replicas
still opens exactly one incident. A graver coalesced alert raises the severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.activity import Phase
from bot.core.actors import Actor
from bot.core.commands import Command, DeclareIncident
from bot.core.escalation import SUBJECTS, StallKind, step_due
from bot.core.events import (
    AlertCoalesced,
    DeclarationRefused,
    Event,
    IncidentDeclared,
    SeverityRaised,
)
from bot.core.evidence import EvidenceRecord, What
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Environment, Incident, Severity, incident_id
from bot.core.playbooks import Playbook
from bot.core.ports import IncidentStore, UnitOfWork
from bot.playbooks.selection import manual_playbook, select_playbook
from bot.service.actions.automatic import follow_up
from bot.service.activity.queueing import queue_activity
from bot.service.context import Services
from bot.service.notify.room_opening import room_notice


def choose_playbook(cmd: DeclareIncident, svc: Services) -> Playbook | str:
    """The playbook that takes this declaration, or why none does."""
    if cmd.playbook is not None:
        chosen = svc.playbooks.get(cmd.playbook)
        if chosen is None:
            return f"no playbook named {cmd.playbook!r}"
        return _allowed(cmd, chosen)
    if cmd.source == "manual" and not cmd.identities:
        found = manual_playbook(svc.playbooks)
        if found is None:
            return "no playbook allows manual declaration (trigger.manual)"
        return found
    first = cmd.identities[0]
    severity = cmd.severity or Severity.SEV4
    environment = cmd.environment or Environment.PRODUCTION
    found = select_playbook(
        svc.playbooks, cmd.source, first.system, first.kind, severity, environment
    )
    if found is None:
        return (
            f"no playbook takes {cmd.source!r} alerts about {first.system}/{first.kind.value}"
            + f" at {severity.value} in {environment.value}"
        )
    return found


def _allowed(cmd: DeclareIncident, playbook: Playbook) -> Playbook | str:
    """A person may name only a playbook that allows manual declaration, and only
    identities of the kinds it takes (its buttons would not fit the others)."""
    if cmd.source == "manual" and not playbook.trigger.manual:
        return f"playbook {playbook.name} does not allow manual declaration"
    kinds = playbook.trigger.kinds
    odd = [i.kind.value for i in cmd.identities if kinds and i.kind not in kinds]
    if cmd.source == "manual" and odd:
        return f"playbook {playbook.name} does not take {', '.join(odd)}"
    return playbook


async def declare_incident(cmd: DeclareIncident, svc: Services) -> Sequence[Event | Command]:
    """Declared or joined, an alert hands on automatic containment (run detached)."""
    taken_in = svc.clock.now()
    playbook = None if cmd.note_as else choose_playbook(cmd, svc)
    if isinstance(playbook, str):
        return [DeclarationRefused("", cmd.declared_by, playbook)]
    async with svc.uow() as uow:
        if cmd.source != "manual":
            await uow.incidents.lock_identities([k for i in cmd.identities for k in i.match_keys])
        joined = await _coalesce(uow.incidents, cmd, svc)
        if joined or playbook is None:
            await uow.commit()
            after = follow_up(cmd, joined[0].incident_id, taken_in, svc) if joined else []
            return [*joined, *after]
        incident = await _open(uow.incidents, cmd, playbook, svc)
        await _arm(uow, incident, playbook, incident.declared_at)
        notice_id = await uow.outbox.add(incident.id, room_notice(incident.id))
        await queue_activity(uow, incident, Phase.DECLARED, svc)
        await uow.commit()
    declared = IncidentDeclared(incident_id=incident.id, notice_id=notice_id)
    return [declared, *follow_up(cmd, incident.id, taken_in, svc)]


async def _open_incident_for(store: IncidentStore, cmd: DeclareIncident) -> Incident | None:
    """The open incident holding any of these identities, or the same leaked secret."""
    for identity in cmd.identities:
        for key in identity.match_keys:
            found = await store.find_open_with_identity(key)
            if found is not None:
                return await store.get(found.id, for_update=True) or found
    return None


async def _coalesce(store: IncidentStore, cmd: DeclareIncident, svc: Services) -> list[Event]:
    """Join an open incident that already holds one of these identities."""
    if cmd.source == "manual":
        return []
    existing = await _open_incident_for(store, cmd)
    if existing is None:
        return []
    events: list[Event] = []
    what = cmd.note_as or What.ALERT_COALESCED
    for other in cmd.identities:
        added = existing.add_identity(other) if cmd.note_as is None else False
        await store.append_evidence(
            _record(existing, cmd.declared_by, svc, what, other, cmd, added)
        )
        events.append(AlertCoalesced(existing.id, identity_key=other.key, added=added))
    raised = await _raise_severity(store, existing, cmd, svc)
    await store.save(existing)
    return events + raised


async def _raise_severity(
    store: IncidentStore, incident: Incident, cmd: DeclareIncident, svc: Services
) -> list[Event]:
    """Only ever up: a milder alert never lowers what a graver one set."""
    if cmd.note_as or cmd.severity is None or incident.severity.at_least(cmd.severity):
        return []
    before, incident.severity = incident.severity, cmd.severity
    await store.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=What.SEVERITY_RAISED,
            actor=cmd.declared_by,
            at=svc.clock.now(),
            why=f"a {cmd.source} alert graded {cmd.severity.value}: {cmd.summary}"[:2000],
            before={"severity": before.value},
            after={"severity": cmd.severity.value},
            details={"source": cmd.source},
        )
    )
    return [SeverityRaised(incident.id, before.value, cmd.severity.value, cmd.source)]


async def _open(
    store: IncidentStore, cmd: DeclareIncident, playbook: Playbook, svc: Services
) -> Incident:
    now = svc.clock.now()
    number = await store.next_number(f"{now:%Y%m%d}")
    incident = Incident(
        id=incident_id(now.date(), number),
        title=cmd.title,
        severity=cmd.severity or playbook.default_severity,
        environment=cmd.environment or playbook.environment,
        playbook=playbook.name,
        declared_at=now,
        declared_by=cmd.declared_by,
        summary=cmd.summary,
    )
    for identity in cmd.identities:
        incident.add_identity(identity)
    for principal in sorted(playbook.responders()):
        incident.add_responder(Actor.parse(principal))
    commander = Actor.parse(playbook.commander_on(now))
    await store.add(incident)
    await store.append_evidence(_declared(incident, cmd, svc))
    incident.assign_commander(commander, now)
    await store.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=What.COMMANDER_ASSIGNED,
            actor=cmd.declared_by,
            at=now,
            why=f"named by playbook {playbook.name}",
            after={"commander": commander.principal},
        )
    )
    if commander == cmd.declared_by:
        incident.commander_acknowledged = True
    await store.save(incident)
    return incident


async def _arm(uow: UnitOfWork, incident: Incident, playbook: Playbook, now: datetime) -> None:
    """Start the clocks: command must be acknowledged, and status kept fresh."""
    kinds = [StallKind.NO_STATUS_UPDATE]
    if not incident.commander_acknowledged:
        kinds.append(StallKind.COMMANDER_NOT_ACKNOWLEDGED)
    for kind in kinds:
        await uow.timers.arm(
            incident.id, kind, SUBJECTS[kind], now, step_due(now, playbook.ladder(kind)[0])
        )


def _declared(incident: Incident, cmd: DeclareIncident, svc: Services) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=What.INCIDENT_DECLARED,
        actor=cmd.declared_by,
        at=svc.clock.now(),
        why=cmd.summary,
        after={
            "title": incident.title,
            "severity": incident.severity.value,
            "status": incident.status.value,
            "environment": incident.environment.value,
            "playbook": incident.playbook,
            "identities": [i.as_record() for i in incident.identities],
        },
        details={"source": cmd.source, "alert": cmd.details},
    )


def _record(
    incident: Incident,
    actor: Actor,
    svc: Services,
    what: What,
    identity: AffectedIdentity,
    cmd: DeclareIncident,
    added: bool,
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=what,
        actor=actor,
        at=svc.clock.now(),
        why=cmd.summary,
        after={"identity": identity.as_record(), "added": added},
        details={"source": cmd.source, "alert": cmd.details},
    )
