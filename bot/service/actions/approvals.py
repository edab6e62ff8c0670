"""Deciding on an approval request: four eyes, bound to the plan, within its window.

Enough approvals run the action at once: the decision commits, then the bus runs
the follow-up command ``RunApproved`` (the same path as an ungated click, or the
whole set of a bulk request). One denial, with its reason, ends the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from bot.core.actions import ActionRequest, RequestStatus
from bot.core.approvals import Approval, Decision, approved, refusal
from bot.core.commands import Command, DecideApproval, ExpireApproval, RunApproved
from bot.core.escalation import StallKind
from bot.core.events import ApprovalRecorded, Event, Refused, RequestDenied, TurnedAway
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.core.ports import UnitOfWork
from bot.core.roles import Right
from bot.service.context import Services
from bot.service.frameworks import FRAMEWORKS, action_frameworks


async def decide_approval(cmd: DecideApproval, svc: Services) -> Sequence[Event | Command]:
    async with svc.uow() as uow:
        request = await uow.incidents.get_request(cmd.request_key)
        incident = (
            await uow.incidents.get(request.incident_id, for_update=True) if request else None
        )
        if request is None or incident is None:
            return [TurnedAway("", cmd.actor, "no such approval request")]
        events, relied_on = await _decide(uow, incident, request, cmd, svc)
        await uow.commit()
    if not relied_on:
        return events
    return [*events, RunApproved(request.idempotency_key, tuple(a.id for a in relied_on))]


async def expire_approval(cmd: ExpireApproval, svc: Services) -> Sequence[Event]:
    """The escalation's final step: a request nobody decided on in time is denied.
    One that was decided meanwhile is left as it is."""
    async with svc.uow() as uow:
        request = await uow.incidents.get_request(cmd.request_key)
        incident = (
            await uow.incidents.get(request.incident_id, for_update=True) if request else None
        )
        if request is None or incident is None:
            return []
        request = await uow.incidents.get_request(cmd.request_key)  # read under the lock
        if request is None or request.status is not RequestStatus.AWAITING_APPROVAL:
            return []
        denied = await deny(uow, incident, request, cmd.reason, svc)
        await uow.commit()
    return [denied]


async def _decide(
    uow: UnitOfWork,
    incident: Incident,
    request: ActionRequest,
    cmd: DecideApproval,
    svc: Services,
) -> tuple[list[Event], list[Approval]]:
    """The events, and the approvals the action now runs on (empty: it does not run yet)."""
    now = svc.clock.now()
    earlier = await uow.incidents.approvals_for(request.idempotency_key)
    holds = svc.playbooks[incident.playbook].holds(cmd.actor, Right.APPROVE)
    why_not = refusal(
        request, cmd.actor, cmd.decision, cmd.plan_hash, cmd.reason, now, earlier, holds
    )
    approval = Approval(
        request.idempotency_key, cmd.actor, cmd.decision, cmd.plan_hash, cmd.reason, now
    )
    if why_not is None and not await uow.incidents.add_approval(approval):
        why_not = "you have already decided on this request; one person counts once"
    refs = action_frameworks(svc, incident.playbook, request.action_id)
    if why_not is not None:
        await uow.incidents.append_evidence(
            _record(incident, approval, What.APPROVAL_REFUSED, why_not, svc, refs)
        )
        return [Refused(incident.id, cmd.actor, why_not)], []
    await uow.incidents.append_evidence(
        _record(incident, approval, _decided(cmd.decision), None, svc, refs)
    )
    events: list[Event] = [
        ApprovalRecorded(incident.id, cmd.actor, request.idempotency_key, cmd.decision)
    ]
    if cmd.decision is Decision.DENY:
        return [*events, await deny(uow, incident, request, cmd.reason, svc)], []
    approvals = [*earlier, approval]
    if not approved(request, approvals):
        return events, []
    request.status = RequestStatus.RUNNING
    await uow.incidents.save_request(request)
    await uow.timers.cancel(incident.id, StallKind.APPROVAL_PENDING, request.idempotency_key)
    await uow.incidents.append_evidence(_running(incident, request, approvals, svc))
    return events, [a for a in approvals if a.decision is Decision.APPROVE]


async def deny(
    uow: UnitOfWork, incident: Incident, request: ActionRequest, reason: str, svc: Services
) -> Event:
    """End a request without running it: a denial, or the approval deadline passing."""
    request.status = RequestStatus.DENIED
    await uow.incidents.save_request(request)
    await uow.timers.cancel(incident.id, StallKind.APPROVAL_PENDING, request.idempotency_key)
    await uow.incidents.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=What.ACTION_DENIED,
            actor=request.actor,
            at=svc.clock.now(),
            why=reason,
            outcome="not run",
            details={
                "request": request.idempotency_key,
                "action": request.action_id,
                "target": request.target_key,
                "plan_hash": request.plan_hash,
                FRAMEWORKS: action_frameworks(svc, incident.playbook, request.action_id),
            },
        )
    )
    return RequestDenied(incident.id, request_key=request.idempotency_key, reason=reason)


def _record(
    incident: Incident,
    approval: Approval,
    what: What,
    refused: str | None,
    svc: Services,
    refs: dict[str, object],
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=what,
        actor=approval.approver,
        at=svc.clock.now(),
        why=approval.reason,
        right=Right.APPROVE.value,
        outcome=refused,
        details={
            "approval": approval.id,
            "request": approval.request_key,
            "decision": approval.decision.value,
            "plan_hash": approval.plan_hash,
            FRAMEWORKS: refs,
        },
    )


def _running(
    incident: Incident, request: ActionRequest, approvals: list[Approval], svc: Services
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=What.ACTION_REQUESTED,
        actor=request.actor,
        at=svc.clock.now(),
        why=request.justification,
        outcome="approved",
        details={
            "request": request.idempotency_key,
            "action": request.action_id,
            "target": request.target_key,
            "plan_hash": request.plan_hash,
            "approvals": [a.id for a in approvals if a.decision is Decision.APPROVE],
            FRAMEWORKS: action_frameworks(svc, incident.playbook, request.action_id),
        },
    )


def _decided(decision: Decision) -> What:
    match decision:
        case Decision.APPROVE:
            return What.APPROVAL_GRANTED
        case Decision.DENY:
            return What.APPROVAL_DENIED
        case _:
            assert_never(decision)
