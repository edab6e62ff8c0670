"""One action on every affected identity it fits: one decision, then each target in turn
with bounded concurrency, the system's rate limit, and the card updated as it goes.

Asking is done once for the whole set. When the playbook gates the action behind
approval for any of the targets, the set is one request whose plan hash binds the
action, every target and the parameters: approvers get one prompt, and their
approval covers exactly that set, not identities that join the incident later.

Running is done per target, through the same path as a single click (its own right
check, idempotency key, intent, snapshot, outcome), so a bulk run interrupted
halfway can simply be requested again: finished targets are duplicates, not repeats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from aiolimiter import AsyncLimiter

from bot.core.actions import (
    ActionOutcome,
    ActionRequest,
    ActionSpec,
    RequestStatus,
    idempotency_key,
)
from bot.core.approvals import BULK_TARGET, approved, bulk_plan_hash
from bot.core.commands import Command, RequestAction, RequestBulkAction, RunBulk
from bot.core.escalation import StallKind
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ActionSettled,
    ApprovalRequested,
    BulkSettled,
    Event,
    Refused,
)
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident
from bot.core.playbooks import ApprovalPolicy
from bot.core.ports import UnitOfWork
from bot.service.actions.execute import Cleared, execute
from bot.service.actions.request import (
    Grant,
    arm,
    clear,
    denied,
    refusal,
    reserve,
    with_fixed_params,
)
from bot.service.checkpoints import checkpoint
from bot.service.context import Services
from bot.service.frameworks import FRAMEWORKS, action_frameworks
from bot.service.notify.rooms import refresh_card_of

ALL = BULK_TARGET
PROGRESS_EVERY = 10
PREVIEW_NAMES = 5


async def request_bulk(cmd: RequestBulkAction, svc: Services) -> Sequence[Event | Command]:
    """Decide once for the whole set: refuse, ask for one approval, or run it."""
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        if incident is None:
            return [ActionRefused(cmd.incident_id, cmd.actor, cmd.action_id, "no such incident")]
        cmd = with_fixed_params(incident, cmd, svc)
        as_one = RequestAction(incident.id, cmd.action_id, ALL, cmd.actor, dict(cmd.params))
        why = refusal(incident, cmd.action_id, cmd.actor, cmd.params, svc)
        spec = svc.catalogue.get(cmd.action_id)
        targets = _targets(incident, spec)
        if why is None and not targets:
            why = f"no identity of {incident.id} fits {cmd.action_id}"
        if why is not None or spec is None:
            why = why or "refused"
            await uow.incidents.append_evidence(denied(incident, as_one, svc, spec, why))
            await uow.commit()
            return [ActionRefused(incident.id, cmd.actor, cmd.action_id, why)]
        policy = _policy(incident, spec, targets, svc)
        if policy is None:
            return [_run(cmd, targets)]
        asked = await _ask_once(uow, incident, cmd, spec, targets, policy, svc)
        await uow.commit()
    return [asked]


def _targets(incident: Incident, spec: ActionSpec | None) -> tuple[str, ...]:
    if spec is None:
        return ()
    return tuple(i.key for i in incident.identities if spec.fits(i))


def _policy(
    incident: Incident, spec: ActionSpec, targets: Sequence[str], svc: Services
) -> ApprovalPolicy | None:
    """The strictest approval any target needs: most approvers, shortest window."""
    playbook = svc.playbooks[incident.playbook]
    policies = [
        p
        for p in (
            playbook.approval_for(spec, incident.identity(t), incident.environment) for t in targets
        )
        if p is not None
    ]
    if not policies:
        return None
    return ApprovalPolicy(
        approvers=max(p.approvers for p in policies),
        ttl_minutes=min(p.ttl_minutes for p in policies),
    )


def _run(cmd: RequestBulkAction, targets: tuple[str, ...]) -> RunBulk:
    return RunBulk(
        cmd.incident_id, cmd.action_id, cmd.actor, targets, dict(cmd.params), cmd.justification
    )


async def _ask_once(
    uow: UnitOfWork,
    incident: Incident,
    cmd: RequestBulkAction,
    spec: ActionSpec,
    targets: tuple[str, ...],
    policy: ApprovalPolicy,
    svc: Services,
) -> Event:
    """One request for the whole set, bound to the hash of every target and parameter."""
    plan = bulk_plan_hash(cmd.action_id, targets, cmd.params)
    claimed = await reserve(
        uow.incidents,
        lambda n: idempotency_key(incident.id, cmd.action_id, ALL, {"plan": plan}, n),
        lambda key: _bulk_request(incident, cmd, key, plan, targets, policy, svc),
    )
    if not isinstance(claimed, ActionRequest):
        return ActionDuplicate(incident.id, cmd.actor, cmd.action_id, ALL, claimed)
    await uow.incidents.append_evidence(_asked_record(incident, cmd, spec, claimed, targets, svc))
    await arm(uow, incident, claimed, StallKind.APPROVAL_PENDING, svc)
    names = ", ".join(targets[:PREVIEW_NAMES]) + (", …" if len(targets) > PREVIEW_NAMES else "")
    preview = f"would apply to {len(targets)} identities: {names}"
    return ApprovalRequested(incident.id, request_key=claimed.idempotency_key, preview=preview)


def _asked_record(
    incident: Incident,
    cmd: RequestBulkAction,
    spec: ActionSpec,
    request: ActionRequest,
    targets: tuple[str, ...],
    svc: Services,
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=What.APPROVAL_REQUESTED,
        actor=cmd.actor,
        at=svc.clock.now(),
        why=cmd.justification,
        right=spec.right.value,
        details={
            "action": cmd.action_id,
            "target": ALL,
            "targets": list(targets),
            "params": dict(cmd.params),
            "idempotency_key": request.idempotency_key,
            "plan_hash": request.plan_hash,
            "approvals_needed": request.approvals_needed,
            "expires_at": request.expires_at.isoformat() if request.expires_at else None,
            FRAMEWORKS: action_frameworks(svc, incident.playbook, cmd.action_id),
        },
    )


def _bulk_request(
    incident: Incident,
    cmd: RequestBulkAction,
    key: str,
    plan: str,
    targets: tuple[str, ...],
    policy: ApprovalPolicy,
    svc: Services,
) -> ActionRequest:
    now = svc.clock.now()
    return ActionRequest(
        incident_id=incident.id,
        action_id=cmd.action_id,
        target_key=ALL,
        params=dict(cmd.params),
        actor=cmd.actor,
        idempotency_key=key,
        requested_at=now,
        justification=cmd.justification,
        status=RequestStatus.AWAITING_APPROVAL,
        plan_hash=plan,
        approvals_needed=policy.approvers,
        expires_at=now + timedelta(minutes=policy.ttl_minutes),
        snapshot={"targets": list(targets)},  # the set as planned: what approvers approve
    )


async def run_bulk(cmd: RunBulk, svc: Services) -> Sequence[Event | Command]:
    """Each target through the single-target path, ``svc.bulk_concurrency`` at a time
    (the connectors' thread pool is as large, so none of them waits for a thread)."""
    spec = svc.catalogue[cmd.action_id]
    limiter = AsyncLimiter(getattr(svc.connectors.get(spec.connector), "rate_per_s", 10.0), 1)
    gate = asyncio.Semaphore(svc.bulk_concurrency)
    grant = await _grant(cmd, svc)
    if cmd.approved_under and grant is None:
        return [Refused(cmd.incident_id, cmd.actor, "this bulk request has not been approved")]
    done = 0

    async def one(target_key: str) -> Event:
        nonlocal done
        async with gate, limiter:
            event = await _one(cmd, target_key, grant, svc)
        done += 1
        if done % PROGRESS_EVERY == 0:
            await _alive(cmd, svc)
            await refresh_card_of(cmd.incident_id, svc)
        return event

    events = await asyncio.gather(*(one(t) for t in cmd.targets))
    summary = _summary(cmd, events)
    if grant is not None:
        await _settle_bulk(cmd, summary, svc)
    asked = [e for e in events if isinstance(e, ApprovalRequested)]  # a target added since
    return [*asked, summary]


async def _grant(cmd: RunBulk, svc: Services) -> Grant | None:
    """The approval the targets run under, only if the ledger shows exactly this set
    approved: a ``RunBulk`` naming another request, or other targets, gets none."""
    if not cmd.approved_under:
        return None
    async with svc.uow() as uow:
        request = await uow.incidents.get_request(cmd.approved_under)
        decisions = await uow.incidents.approvals_for(cmd.approved_under) if request else []
    if (
        request is None
        or request.status is not RequestStatus.RUNNING
        or (request.incident_id, request.action_id) != (cmd.incident_id, cmd.action_id)
        or request.plan_hash != bulk_plan_hash(cmd.action_id, cmd.targets, cmd.params)
        or not approved(request, decisions)
    ):
        return None
    return Grant(cmd.approved_under, cmd.approvals)


async def _one(cmd: RunBulk, target_key: str, grant: Grant | None, svc: Services) -> Event:
    single = RequestAction(
        cmd.incident_id, cmd.action_id, target_key, cmd.actor, dict(cmd.params), cmd.justification
    )
    _, verdict = await clear(single, svc, grant)
    if isinstance(verdict, Cleared):
        return await execute(verdict, svc, cmd.approvals)
    return verdict


async def _alive(cmd: RunBulk, svc: Services) -> None:
    """Touch the approved bulk request as it progresses, so the reconciler, which settles
    intents nobody has touched for a while, leaves a long live run alone."""
    if not cmd.approved_under:
        return
    async with svc.uow() as uow:
        await uow.incidents.get(cmd.incident_id, for_update=True)
        request = await uow.incidents.get_request(cmd.approved_under)
        if request is not None and request.status is RequestStatus.RUNNING:
            await uow.incidents.save_request(request)
            await uow.commit()


def _summary(cmd: RunBulk, events: Sequence[Event]) -> BulkSettled:
    settled = [e for e in events if isinstance(e, ActionSettled)]
    ok = sum(1 for e in settled if e.status is RequestStatus.SUCCEEDED)
    return BulkSettled(
        cmd.incident_id,
        cmd.actor,
        cmd.action_id,
        total=len(events),
        succeeded=ok,
        failed=len(settled) - ok,
        skipped=len(events) - len(settled),
    )


async def _settle_bulk(cmd: RunBulk, summary: BulkSettled, svc: Services) -> None:
    """The approved bulk request's own outcome; each target's is already recorded."""
    text = (
        f"{summary.succeeded} of {summary.total} done, {summary.failed} failed, "
        f"{summary.skipped} skipped"
    )
    outcome = ActionOutcome(ok=summary.failed == 0, summary=text)
    async with svc.uow() as uow:
        incident = await uow.incidents.get(cmd.incident_id, for_update=True)
        request = await uow.incidents.get_request(cmd.approved_under)
        assert incident is not None and request is not None
        request.status = RequestStatus.SUCCEEDED if outcome.ok else RequestStatus.FAILED
        request.outcome = outcome
        await uow.incidents.save_request(request)
        refs = action_frameworks(svc, incident.playbook, cmd.action_id)
        await uow.incidents.append_evidence(_settled_record(cmd, request, summary, text, svc, refs))
        await checkpoint(uow.incidents, svc.signer, incident.id)
        await uow.commit()


def _settled_record(
    cmd: RunBulk,
    request: ActionRequest,
    summary: BulkSettled,
    text: str,
    svc: Services,
    refs: dict[str, object],
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=cmd.incident_id,
        what=What.BULK_ACTION_SETTLED,
        actor=cmd.actor,
        at=svc.clock.now(),
        outcome=text,
        details={
            "request": request.idempotency_key,
            "action": cmd.action_id,
            "plan_hash": request.plan_hash,
            "approvals": list(cmd.approvals),
            "total": summary.total,
            "succeeded": summary.succeeded,
            "failed": summary.failed,
            "skipped": summary.skipped,
            FRAMEWORKS: refs,
        },
    )
