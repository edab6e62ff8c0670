"""Automatic containment: a playbook's rule acts on an alert without waiting for a click.

It runs after the declaration (or the coalescing) committed, through the same path
as a click: the intent with its idempotency key commits before the connector is
called, then plan, apply, verify and the signed outcome. What differs is who asks
(``blastwall:automatic``, under the playbook's authority) and the guard rails
(``bot.core.automatic``) that send the doubtful cases to a person instead.

The decisions are made under the incident's lock, against the requests already
stored: the count of identities contained automatically (``max_targets``) holds
across coalesced alerts and replicas, and a re-delivered alert finds its action
already requested and runs nothing twice. Each rule that fires is recorded as
``automatic action triggered`` in the same transaction as its intent; each one held
back as ``automatic action withheld``, with the reason, and said in the room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.actions import ActionRequest, Operation, RequestStatus, Reversibility
from bot.core.actors import AUTOMATIC
from bot.core.automatic import (
    SWITCHED_OFF,
    AlertFacts,
    Candidate,
    rule_record,
    withheld_because,
)
from bot.core.commands import Command, ContainAutomatically, DeclareIncident, RequestAction
from bot.core.events import (
    ActionSettled,
    AutomaticActionRan,
    AutomaticActionWithheld,
    Event,
)
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.core.playbooks import Playbook
from bot.core.ports import UnitOfWork
from bot.service.actions.execute import Cleared, execute
from bot.service.actions.request import clear_locked, refusal
from bot.service.context import Services

LIVE = (RequestStatus.RUNNING, RequestStatus.SUCCEEDED, RequestStatus.AWAITING_APPROVAL)


def follow_up(
    cmd: DeclareIncident, incident_id: str, taken_in: datetime, svc: Services
) -> list[ContainAutomatically]:
    """The command the declaration hands on when an alert declared or joined an
    incident and some playbook has automatic rules; none for people or notes."""
    if cmd.source == "manual" or cmd.note_as is not None or not cmd.identities:
        return []
    if not any(p.automatic_rules() for p in svc.playbooks.values()):
        return []
    return [
        ContainAutomatically(
            incident_id=incident_id,
            identity_keys=tuple(i.key for i in cmd.identities),
            source=cmd.source,
            alert_at=taken_in,
            severity=cmd.severity,
            environment=cmd.environment,
        )
    ]


@dataclass(frozen=True)
class _Decided:
    cleared: list[Cleared]
    told: list[Event]


async def contain_automatically(
    cmd: ContainAutomatically, svc: Services
) -> Sequence[Event | Command]:
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        playbook = svc.playbooks.get(incident.playbook) if incident else None
        if incident is None or playbook is None or not incident.is_open:
            return []
        decided = await _decide(uow, incident, playbook, cmd, svc)
        await uow.commit()
    events = list(decided.told)
    for cleared in decided.cleared:
        settled = await execute(replace(cleared, alert_at=cmd.alert_at), svc)
        events += [settled, *_ran(settled, cleared, svc)]
    return events


async def _decide(
    uow: UnitOfWork,
    incident: Incident,
    playbook: Playbook,
    cmd: ContainAutomatically,
    svc: Services,
) -> _Decided:
    """Record each rule that fires on this alert's identities: withheld, or triggered
    together with its intent."""
    requests = await uow.incidents.requests_for(incident.id)
    contained = {r.target_key for r in requests if _automatic_apply(r)}
    alert = AlertFacts(cmd.source, cmd.severity or incident.severity, cmd.environment)
    decided = _Decided([], [])
    for candidate in _candidates(incident, playbook, alert, cmd, svc):
        if _already_asked(requests, candidate):
            continue  # a re-delivered alert, or a person got there first
        reason = _reason(candidate, playbook, incident, alert, frozenset(contained), svc)
        if reason is not None:
            await uow.incidents.append_evidence(_withheld(incident, candidate, reason, svc))
            decided.told.append(_withheld_event(incident, candidate, reason))
            continue
        await uow.incidents.append_evidence(_triggered(incident, playbook, candidate, alert, svc))
        verdict = await clear_locked(uow, incident, _request(incident, playbook, candidate), svc)
        if isinstance(verdict, Cleared):
            contained.add(candidate.identity.key)
            decided.cleared.append(verdict)
        else:
            decided.told.append(verdict)
    return decided


def _candidates(
    incident: Incident,
    playbook: Playbook,
    alert: AlertFacts,
    cmd: ContainAutomatically,
    svc: Services,
) -> list[Candidate]:
    """Each (rule, identity) of this alert whose ``when`` holds."""
    found: list[Candidate] = []
    for key in dict.fromkeys(cmd.identity_keys):
        identity = incident.identity(key)
        if identity is None:
            continue
        for offered, rule in playbook.automatic_rules():
            spec = svc.catalogue.get(offered.action_id)
            if spec is None or not spec.fits(identity):
                continue
            if rule.when.holds(alert.source, alert.severity, identity):
                found.append(Candidate(offered, rule, spec, identity))
    return found


def _reason(
    candidate: Candidate,
    playbook: Playbook,
    incident: Incident,
    alert: AlertFacts,
    contained: frozenset[str],
    svc: Services,
) -> str | None:
    """The kill switch, read now (so it takes effect at once), then the guard rails,
    then whatever would refuse the request itself (a connector not configured)."""
    if not svc.automatic_on():
        return SWITCHED_OFF
    reason = withheld_because(candidate, playbook, incident, alert, contained)
    if reason is not None:
        return reason
    action, key = candidate.offered.action_id, candidate.identity.key
    return refusal(incident, action, AUTOMATIC, {}, svc, key)


def _automatic_apply(request: ActionRequest) -> bool:
    return request.actor == AUTOMATIC and request.operation is Operation.APPLY


def _already_asked(requests: Sequence[ActionRequest], candidate: Candidate) -> bool:
    """Automatic containment acts once per action and identity (whatever came of it),
    and never on what a person already has running, done or awaiting approval."""
    action, key = candidate.offered.action_id, candidate.identity.key
    return any(
        r.action_id == action
        and r.target_key == key
        and r.operation is Operation.APPLY
        and (r.actor == AUTOMATIC or r.status in LIVE)
        for r in requests
    )


def _request(incident: Incident, playbook: Playbook, candidate: Candidate) -> RequestAction:
    return RequestAction(
        incident_id=incident.id,
        action_id=candidate.offered.action_id,
        target_key=candidate.identity.key,
        actor=AUTOMATIC,
        justification=f"{candidate.rule_name} of playbook {playbook.name}",
    )


def _triggered(
    incident: Incident, playbook: Playbook, candidate: Candidate, alert: AlertFacts, svc: Services
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=What.AUTOMATIC_ACTION_TRIGGERED,
        actor=AUTOMATIC,
        at=svc.clock.now(),
        why=f"{candidate.rule_name} of playbook {playbook.name} fired on a {alert.source} alert",
        right=candidate.spec.right.value,
        details={
            "rule": candidate.rule_name,
            "action": candidate.offered.action_id,
            "target": candidate.identity.key,
            "playbook": playbook.name,
            "conditions": rule_record(candidate.rule),
            "alert": {"source": alert.source, "severity": alert.severity.value},
        },
    )


def _withheld(
    incident: Incident, candidate: Candidate, reason: str, svc: Services
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=What.AUTOMATIC_ACTION_WITHHELD,
        actor=AUTOMATIC,
        at=svc.clock.now(),
        why=reason,
        outcome="withheld: a person decides",
        details={
            "rule": candidate.rule_name,
            "action": candidate.offered.action_id,
            "target": candidate.identity.key,
            "reason": reason,
            "conditions": rule_record(candidate.rule),
        },
    )


def _withheld_event(
    incident: Incident, candidate: Candidate, reason: str
) -> AutomaticActionWithheld:
    return AutomaticActionWithheld(
        incident.id,
        candidate.rule_name,
        candidate.offered.action_id,
        candidate.identity.key,
        reason,
    )


def _ran(settled: Event, cleared: Cleared, svc: Services) -> list[Event]:
    if not isinstance(settled, ActionSettled):
        return []  # settled elsewhere meanwhile: that path reports it
    undoable = (
        settled.status is RequestStatus.SUCCEEDED
        and cleared.spec.reversibility is not Reversibility.IRREVERSIBLE
    )
    rule = f"automatic {cleared.request.action_id}"
    return [
        AutomaticActionRan(
            settled.incident_id,
            rule,
            settled.action_id,
            settled.target_key,
            settled.status,
            settled.summary,
            undoable,
        )
    ]
