"""Running a containment action: right, intent, call, outcome, checkpoint.

The order is what makes it safe: the rights check runs on the verified user;
the intent (with its idempotency key) commits before the connector is called,
so a double click, a retry or a second replica collides on the key instead of
running twice; the outcome and a signed checkpoint commit afterwards. An
action the playbook gates behind approval waits for its approvers instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from bot.bulk import ALL, request_bulk
from bot.core.actions import (
    ActionRequest,
    ActionSpec,
    RequestStatus,
    idempotency_key,
    plan_hash,
)
from bot.core.commands import RequestAction
from bot.core.escalation import StallKind, step_due
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ApprovalRequested,
    Event,
)
from bot.core.evidence import EvidenceRecord
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident, Status
from bot.core.playbooks import ApprovalPolicy
from bot.core.ports import UnitOfWork
from bot.execution import Cleared, execute, request_details
from bot.services import Services

MAX_ATTEMPTS = 20
RETRYABLE = (RequestStatus.FAILED, RequestStatus.DENIED)


async def request_action(cmd: RequestAction, svc: Services) -> Sequence[Event]:
    if cmd.target_key == ALL:
        return await request_bulk(cmd, svc)
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        if incident is None:
            return [ActionRefused(cmd.incident_id, cmd.actor, cmd.action_id, "no such incident")]
        verdict = await _clear(uow, incident, cmd, svc)
        await uow.commit()
    if isinstance(verdict, ApprovalRequested):
        return [await _with_preview(verdict, incident, cmd, svc)]
    if not isinstance(verdict, Cleared):
        return [verdict]
    return [await execute(verdict, svc)]


async def _with_preview(
    asked: ApprovalRequested, incident: Incident, cmd: RequestAction, svc: Services
) -> ApprovalRequested:
    """The dry run approvers see before they decide: what would change, read now."""
    spec = svc.catalogue[cmd.action_id]
    target = incident.identity(cmd.target_key)
    assert target is not None
    try:
        plan = await svc.connectors[spec.connector].plan(cmd.action_id, target, cmd.params)
    except Exception as exc:
        return replace(asked, preview=f"could not read the target: {exc}")
    if plan.no_op:
        return replace(asked, preview="nothing would change: it is already in that state")
    changes = ", ".join(f"{k} -> {v}" for k, v in plan.changes.items())
    return replace(asked, preview=f"would change {changes}")


async def _clear(
    uow: UnitOfWork, incident: Incident, cmd: RequestAction, svc: Services
) -> Cleared | Event:
    """Check the request; record the refusal, the wait for approval, or the intent."""
    spec, target, reason = _check(incident, cmd, svc)
    if reason is not None or spec is None or target is None:
        why = reason or "refused"
        await uow.incidents.append_evidence(_denied(incident, cmd, svc, spec, why))
        return ActionRefused(incident.id, cmd.actor, cmd.action_id, why)
    playbook = svc.playbooks[incident.playbook]
    approval = playbook.approval_for(spec, target, incident.environment)
    request = await _reserve(uow, incident, cmd, svc, approval)
    if isinstance(request, ActionDuplicate):
        return request
    what = "approval requested" if approval else "action requested"
    await uow.incidents.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=what,
            actor=cmd.actor,
            at=svc.clock.now(),
            why=cmd.justification,
            right=spec.right.value,
            details=request_details(request, spec),
        )
    )
    if approval is not None:
        await _arm(uow, incident, request, StallKind.APPROVAL_PENDING, svc)
        return ApprovalRequested(incident.id, request_key=request.idempotency_key)
    await _arm(uow, incident, request, StallKind.ACTION_NOT_RUN, svc)
    return Cleared(request=request, spec=spec, target=target)


async def _arm(
    uow: UnitOfWork, incident: Incident, request: ActionRequest, kind: StallKind, svc: Services
) -> None:
    first = svc.playbooks[incident.playbook].ladder(kind)[0]
    now = svc.clock.now()
    await uow.timers.arm(incident.id, kind, request.idempotency_key, now, step_due(now, first))


def _check(
    incident: Incident, cmd: RequestAction, svc: Services
) -> tuple[ActionSpec | None, AffectedIdentity | None, str | None]:
    spec = svc.catalogue.get(cmd.action_id)
    playbook = svc.playbooks.get(incident.playbook)
    target = incident.identity(cmd.target_key)
    if spec is None or playbook is None or playbook.offered(cmd.action_id) is None:
        return spec, target, f"{cmd.action_id} is not offered for {incident.id}"
    if not playbook.holds(cmd.actor, spec.right):
        return spec, target, f"authorization denied: {spec.right.value} is required"
    if incident.status is Status.CLOSED:
        return spec, target, f"{incident.id} is closed"
    if target is None or not spec.applies_to(target.kind):
        return spec, target, f"{cmd.target_key} is not a target of {cmd.action_id} here"
    problem = spec.param_problem(cmd.params)
    if problem is not None:
        return spec, target, problem
    if spec.connector not in svc.connectors:
        return spec, target, f"the {spec.connector} connector is not configured"
    return spec, target, None


async def _reserve(
    uow: UnitOfWork,
    incident: Incident,
    cmd: RequestAction,
    svc: Services,
    approval: ApprovalPolicy | None,
) -> ActionRequest | ActionDuplicate:
    """Claim the idempotency key; a failed or denied attempt may be tried again."""
    store = uow.incidents
    for attempt in range(1, MAX_ATTEMPTS + 1):
        key = idempotency_key(incident.id, cmd.action_id, cmd.target_key, cmd.params, attempt)
        existing = await store.get_request(key)
        if existing is not None and existing.status in RETRYABLE:
            continue
        if existing is None:
            request = _new_request(incident, cmd, key, svc, approval)
            if await store.add_request(request):
                return request
            existing = await store.get_request(key)
        status = existing.status if existing else RequestStatus.RUNNING
        return ActionDuplicate(incident.id, cmd.actor, cmd.action_id, cmd.target_key, status)
    return ActionDuplicate(
        incident.id, cmd.actor, cmd.action_id, cmd.target_key, RequestStatus.FAILED
    )


def _new_request(
    incident: Incident,
    cmd: RequestAction,
    key: str,
    svc: Services,
    approval: ApprovalPolicy | None,
) -> ActionRequest:
    now = svc.clock.now()
    return ActionRequest(
        incident_id=incident.id,
        action_id=cmd.action_id,
        target_key=cmd.target_key,
        params=dict(cmd.params),
        actor=cmd.actor,
        idempotency_key=key,
        requested_at=now,
        justification=cmd.justification,
        status=RequestStatus.AWAITING_APPROVAL if approval else RequestStatus.RUNNING,
        plan_hash=plan_hash(cmd.action_id, cmd.target_key, dict(cmd.params)),
        approvals_needed=approval.approvers if approval else 0,
        expires_at=now + timedelta(minutes=approval.ttl_minutes) if approval else None,
    )


def _denied(
    incident: Incident, cmd: RequestAction, svc: Services, spec: ActionSpec | None, why: str
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what="authorization denied",
        actor=cmd.actor,
        at=svc.clock.now(),
        why=why,
        right=spec.right.value if spec else None,
        outcome="refused",
        details={"action": cmd.action_id, "target": cmd.target_key, "params": dict(cmd.params)},
    )
