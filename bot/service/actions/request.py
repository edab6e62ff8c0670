"""Running a containment action: right, intent, call, outcome, checkpoint.

The order is what makes it safe: the rights check runs on the verified user;
the intent (with its idempotency key) commits before the connector is called,
so a double click, a retry or a second replica collides on the key instead of
running twice; the outcome and a signed checkpoint commit afterwards. An
action the playbook gates behind approval waits for its approvers instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar

from bot.core.actions import (
    ActionRequest,
    ActionSpec,
    Operation,
    RequestStatus,
    idempotency_key,
    plan_hash,
)
from bot.core.actors import Actor
from bot.core.approvals import approved, bulk_targets
from bot.core.cards import ALL_TARGETS
from bot.core.commands import (
    Command,
    RequestAction,
    RequestBulkAction,
    RunApproved,
    RunBulk,
    RunRequest,
)
from bot.core.escalation import StallKind, step_due
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ApprovalRequested,
    Event,
    Refused,
)
from bot.core.evidence import EvidenceRecord, What
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident, Status
from bot.core.playbooks import ApprovalPolicy
from bot.core.ports import IncidentStore, UnitOfWork
from bot.service.actions.execute import Cleared, execute, request_details
from bot.service.context import Services
from bot.service.frameworks import FRAMEWORKS, action_frameworks

MAX_ATTEMPTS = 20
RETRYABLE = (RequestStatus.FAILED, RequestStatus.DENIED)


@dataclass(frozen=True)
class Grant:
    """The approved bulk request one of its targets runs under, and its approvals."""

    request_key: str
    approvals: tuple[str, ...]


async def request_action(cmd: RequestAction, svc: Services) -> Sequence[Event | Command]:
    if cmd.target_key == ALL_TARGETS:
        return [
            RequestBulkAction(
                cmd.incident_id, cmd.action_id, cmd.actor, dict(cmd.params), cmd.justification
            )
        ]
    incident, verdict = await clear(cmd, svc)
    if isinstance(verdict, ApprovalRequested) and incident is not None:
        return [await _with_preview(verdict, incident, cmd, svc)]
    if not isinstance(verdict, Cleared):
        return [verdict]
    return [RunRequest(verdict.request.idempotency_key)]  # the call runs after the ack


async def run_request(cmd: RunRequest, svc: Services) -> Sequence[Event | Command]:
    """Make the call for a committed intent that needs no approval.

    It runs only a request that is still running, asks for no approval and is not a
    bulk set, so a stray ``RunRequest`` can neither skip four eyes nor run twice
    (the call's lease and the conditional writes in ``execute`` see to the rest)."""
    async with svc.uow() as uow:
        request = await uow.incidents.get_request(cmd.request_key)
        incident = await uow.incidents.get(request.incident_id) if request else None
    if request is None or incident is None or request.status is not RequestStatus.RUNNING:
        return []
    spec = svc.catalogue.get(request.action_id)
    target = incident.identity(request.target_key)
    if request.approvals_needed > 0 or request.operation is not Operation.APPLY or not spec:
        return [Refused(incident.id, request.actor, "this request cannot run without approval")]
    if target is None:
        return [Refused(incident.id, request.actor, f"{request.target_key} is not a target here")]
    return [await execute(Cleared(request, spec, target), svc)]


async def clear(
    cmd: RequestAction, svc: Services, grant: Grant | None = None
) -> tuple[Incident | None, Cleared | Event]:
    """One target: check it and commit the refusal, the wait for approval, or the intent.

    Under a ``grant`` (a bulk approval that covers this target) it is not asked again.
    """
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        if incident is None:
            refused = ActionRefused(cmd.incident_id, cmd.actor, cmd.action_id, "no such incident")
            return None, refused
        verdict = await _clear(uow, incident, with_fixed_params(incident, cmd, svc), svc, grant)
        await uow.commit()
    return incident, verdict


async def clear_locked(
    uow: UnitOfWork, incident: Incident, cmd: RequestAction, svc: Services
) -> Cleared | Event:
    """``clear`` inside a caller's transaction that already holds the incident's lock:
    automatic containment commits why it ran together with the intent."""
    return await _clear(uow, incident, cmd, svc, None)


async def run_approved(cmd: RunApproved, svc: Services) -> Sequence[Event | Command]:
    """Run the request its approvals just completed: one target now, or the whole bulk set.

    It runs only what the ledger shows approved: a request still running whose recorded
    approvals suffice, so a stray ``RunApproved`` cannot skip four eyes.
    """
    async with svc.uow() as uow:
        request = await uow.incidents.get_request(cmd.request_key)
        incident = await uow.incidents.get(request.incident_id) if request else None
        decisions = await uow.incidents.approvals_for(cmd.request_key) if request else []
    if request is None or incident is None or request.status is not RequestStatus.RUNNING:
        return []
    if request.approvals_needed < 1 or not approved(request, decisions):
        return [Refused(incident.id, request.actor, "this request has not been approved")]
    if request.target_key == ALL_TARGETS:
        return [
            RunBulk(
                request.incident_id,
                request.action_id,
                request.actor,
                tuple(bulk_targets(request)),
                dict(request.params),
                request.justification,
                approved_under=request.idempotency_key,
                approvals=cmd.approvals,
            )
        ]
    target = incident.identity(request.target_key)
    assert target is not None
    cleared = Cleared(request, svc.catalogue[request.action_id], target)
    return [await execute(cleared, svc, cmd.approvals)]


async def _with_preview(
    asked: ApprovalRequested, incident: Incident, cmd: RequestAction, svc: Services
) -> ApprovalRequested:
    """The dry run approvers see before they decide: what would change, read now."""
    spec = svc.catalogue[cmd.action_id]
    target = incident.identity(cmd.target_key)
    assert target is not None
    params = with_fixed_params(incident, cmd, svc).params
    try:
        plan = await svc.connectors[spec.connector].plan(cmd.action_id, target, params)
    except Exception as exc:
        return replace(asked, preview=f"could not read the target: {exc}")
    if plan.no_op:
        return replace(asked, preview="nothing would change: it is already in that state")
    changes = ", ".join(f"{k} -> {v}" for k, v in plan.changes.items())
    return replace(asked, preview=f"would change {changes}")


async def _clear(
    uow: UnitOfWork, incident: Incident, cmd: RequestAction, svc: Services, grant: Grant | None
) -> Cleared | Event:
    """Check the request; record the refusal, the wait for approval, or the intent."""
    spec, target, reason = _check(incident, cmd, svc)
    if reason is not None or spec is None or target is None:
        why = reason or "refused"
        await uow.incidents.append_evidence(denied(incident, cmd, svc, spec, why))
        return ActionRefused(incident.id, cmd.actor, cmd.action_id, why)
    playbook = svc.playbooks[incident.playbook]
    approval = None if grant else playbook.approval_for(spec, target, incident.environment)
    request = await _reserve(uow, incident, cmd, svc, approval)
    if isinstance(request, ActionDuplicate):
        return request
    details = request_details(request, spec)
    details[FRAMEWORKS] = action_frameworks(svc, incident.playbook, cmd.action_id)
    if grant is not None:
        details |= {"bulk": grant.request_key, "approvals": list(grant.approvals)}
    await uow.incidents.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=What.APPROVAL_REQUESTED if approval else What.ACTION_REQUESTED,
            actor=cmd.actor,
            at=svc.clock.now(),
            why=cmd.justification,
            right=spec.right.value,
            outcome="approved with its bulk request" if grant else None,
            details=details,
        )
    )
    if approval is not None:
        await arm(uow, incident, request, StallKind.APPROVAL_PENDING, svc)
        return ApprovalRequested(incident.id, request_key=request.idempotency_key)
    await arm(uow, incident, request, StallKind.ACTION_NOT_RUN, svc)
    return Cleared(request=request, spec=spec, target=target)


async def arm(
    uow: UnitOfWork, incident: Incident, request: ActionRequest, kind: StallKind, svc: Services
) -> None:
    first = svc.playbooks[incident.playbook].ladder(kind)[0]
    now = svc.clock.now()
    await uow.timers.arm(incident.id, kind, request.idempotency_key, now, step_due(now, first))


def _check(
    incident: Incident, cmd: RequestAction, svc: Services
) -> tuple[ActionSpec | None, AffectedIdentity | None, str | None]:
    spec = svc.catalogue.get(cmd.action_id)
    target = incident.identity(cmd.target_key)
    reason = refusal(incident, cmd.action_id, cmd.actor, cmd.params, svc, cmd.target_key)
    return spec, target, reason


def refusal(
    incident: Incident,
    action_id: str,
    actor: Actor,
    params: dict[str, str],
    svc: Services,
    target_key: str | None = None,
) -> str | None:
    """Why this action may not run here for this actor (and target, when one is named)."""
    spec = svc.catalogue.get(action_id)
    playbook = svc.playbooks.get(incident.playbook)
    if spec is None or playbook is None or playbook.offered(action_id) is None:
        return f"{action_id} is not offered for {incident.id}"
    if not playbook.authorizes(actor, spec.right, action_id):
        return f"authorization denied: {spec.right.value} is required"
    if incident.status is Status.CLOSED:
        return f"{incident.id} is closed"
    if target_key is not None:
        target = incident.identity(target_key)
        if target is None or not spec.fits(target):
            return f"{target_key} is not a target of {action_id} here"
    problem = playbook.param_conflict(action_id, params) or spec.param_problem(params)
    if problem is not None:
        return problem
    if spec.connector not in svc.connectors:
        return f"the {spec.connector} connector is not configured"
    return None


Fixable = TypeVar("Fixable", RequestAction, RequestBulkAction)


def with_fixed_params(incident: Incident, cmd: Fixable, svc: Services) -> Fixable:
    """The command with the parameters its playbook fixes (a rotation's delivery path);
    as given when it contradicts them, so ``refusal`` names the conflict."""
    playbook = svc.playbooks.get(incident.playbook)
    if playbook is None or playbook.param_conflict(cmd.action_id, cmd.params):
        return cmd
    return replace(cmd, params=playbook.params_for(cmd.action_id, cmd.params))


async def _reserve(
    uow: UnitOfWork,
    incident: Incident,
    cmd: RequestAction,
    svc: Services,
    approval: ApprovalPolicy | None,
) -> ActionRequest | ActionDuplicate:
    claimed = await reserve(
        uow.incidents,
        lambda n: idempotency_key(incident.id, cmd.action_id, cmd.target_key, cmd.params, n),
        lambda key: _new_request(incident, cmd, key, svc, approval),
    )
    if isinstance(claimed, ActionRequest):
        return claimed
    return ActionDuplicate(incident.id, cmd.actor, cmd.action_id, cmd.target_key, claimed)


async def reserve(
    store: IncidentStore, key_of: Callable[[int], str], make: Callable[[str], ActionRequest]
) -> ActionRequest | RequestStatus:
    """Claim the idempotency key (a failed or denied attempt may be tried again): the new
    request, or the status of the one that already holds the key."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        key = key_of(attempt)
        existing = await store.get_request(key)
        if existing is not None and existing.status in RETRYABLE:
            continue
        if existing is None:
            request = make(key)
            if await store.add_request(request):
                return request
            existing = await store.get_request(key)
        return existing.status if existing else RequestStatus.RUNNING
    return RequestStatus.FAILED


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


def denied(
    incident: Incident, cmd: RequestAction, svc: Services, spec: ActionSpec | None, why: str
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=What.AUTHORIZATION_DENIED,
        actor=cmd.actor,
        at=svc.clock.now(),
        why=why,
        right=spec.right.value if spec else None,
        outcome="refused",
        details={"action": cmd.action_id, "target": cmd.target_key, "params": dict(cmd.params)},
    )
