"""Executing a committed intent: plan (the snapshot), apply, verify, record.

The snapshot of the target's prior state commits before the change is made,
so undo has something to restore even if Blastwall dies mid-call; the
outcome, the read-back and a signed checkpoint commit together afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.checkpoints import checkpoint
from bot.core.actions import (
    ActionOutcome,
    ActionPlan,
    ActionRequest,
    ActionSpec,
    RequestStatus,
    Verification,
)
from bot.core.escalation import StallKind
from bot.core.events import ActionSettled, Event
from bot.core.evidence import EvidenceRecord
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident, Status
from bot.core.ports import IncidentStore
from bot.services import Services


@dataclass(frozen=True)
class Cleared:
    """A request that passed every check and whose intent is committed."""

    request: ActionRequest
    spec: ActionSpec
    target: AffectedIdentity


async def execute(cleared: Cleared, svc: Services, approvals: Sequence[str] = ()) -> Event:
    """Plan (and commit the snapshot), apply, verify, then commit the outcome."""
    connector = svc.connectors[cleared.spec.connector]
    request = cleared.request
    try:
        plan = await connector.plan(request.action_id, cleared.target, request.params)
    except Exception as exc:
        failed = ActionOutcome(
            ok=False, summary=f"could not read the target: {exc}", error_code="error"
        )
        return await _settle(cleared, failed, None, svc, approvals)
    await _record_plan(cleared, plan, svc)
    outcome = await _run(cleared, svc)
    verification = None
    if outcome.ok and not outcome.already:
        verification = await _verify(cleared, svc)
    return await _settle(cleared, outcome, verification, svc, approvals)


async def _record_plan(cleared: Cleared, plan: ActionPlan, svc: Services) -> None:
    request = cleared.request
    request.snapshot = dict(plan.before)
    async with svc.uow() as uow:
        await uow.incidents.get(request.incident_id, for_update=True)
        await uow.incidents.save_request(request)
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=request.incident_id,
                what="action planned",
                actor=request.actor,
                at=svc.clock.now(),
                right=cleared.spec.right.value,
                before=dict(plan.before),
                after=dict(plan.changes),
                outcome="no change needed" if plan.no_op else None,
                details={
                    "action": request.action_id,
                    "target": request.target_key,
                    "plan_hash": plan.plan_hash,
                    "request": request.idempotency_key,
                },
            )
        )
        await uow.commit()


async def _verify(cleared: Cleared, svc: Services) -> Verification:
    connector = svc.connectors[cleared.spec.connector]
    request = cleared.request
    try:
        return await connector.verify(request.action_id, cleared.target, request.params)
    except Exception as exc:
        return Verification(False, {}, f"could not read back: {exc}")


async def _run(cleared: Cleared, svc: Services) -> ActionOutcome:
    connector = svc.connectors[cleared.spec.connector]
    request = cleared.request
    try:
        return await connector.apply(request.action_id, cleared.target, request.params)
    except Exception as exc:  # a connector bug must still leave an outcome on record
        return ActionOutcome(ok=False, summary=f"connector error: {exc}", error_code="error")


async def _settle(
    cleared: Cleared,
    outcome: ActionOutcome,
    verification: Verification | None,
    svc: Services,
    approvals: Sequence[str],
) -> Event:
    request = cleared.request
    request.status = RequestStatus.SUCCEEDED if outcome.ok else RequestStatus.FAILED
    request.outcome = outcome
    async with svc.uow() as uow:
        store = uow.incidents
        incident = await store.get(request.incident_id, for_update=True)
        assert incident is not None
        await store.save_request(request)
        await uow.timers.cancel(incident.id, StallKind.ACTION_NOT_RUN, request.idempotency_key)
        await store.append_evidence(_settled(request, cleared.spec, outcome, svc, approvals))
        if verification is not None:
            await store.append_evidence(_verified(request, verification, svc))
        if outcome.ok and incident.status is Status.DECLARED:
            await _contain(store, incident, request, svc)
        await checkpoint(store, svc.signer, incident.id)
        await uow.commit()
    return ActionSettled(
        incident_id=request.incident_id,
        actor=request.actor,
        action_id=request.action_id,
        target_key=request.target_key,
        status=request.status,
        summary=outcome.summary,
    )


async def _contain(
    store: IncidentStore, incident: Incident, request: ActionRequest, svc: Services
) -> None:
    """The first successful containment action marks the incident contained."""
    previous = incident.transition(Status.CONTAINED)
    await store.save(incident)
    await store.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what="status changed",
            actor=request.actor,
            at=svc.clock.now(),
            why=f"{request.action_id} succeeded on {request.target_key}",
            before={"status": previous.value},
            after={"status": incident.status.value},
        )
    )


def _settled(
    request: ActionRequest,
    spec: ActionSpec,
    outcome: ActionOutcome,
    svc: Services,
    approvals: Sequence[str],
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=request.incident_id,
        what="action succeeded" if outcome.ok else "action failed",
        actor=request.actor,
        at=svc.clock.now(),
        why=request.justification,
        right=spec.right.value,
        before=dict(outcome.before),
        after=dict(outcome.after),
        outcome=outcome.summary,
        details={
            **request_details(request, spec),
            "already": outcome.already,
            "error_code": outcome.error_code,
            "approvals": list(approvals),
            "response_sha256": outcome.response_hash,
        },
    )


def _verified(request: ActionRequest, verification: Verification, svc: Services) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=request.incident_id,
        what="action verified" if verification.confirmed else "verification failed",
        actor=request.actor,
        at=svc.clock.now(),
        after=dict(verification.observed),
        outcome=verification.summary,
        details={
            "action": request.action_id,
            "target": request.target_key,
            "request": request.idempotency_key,
        },
    )


def request_details(request: ActionRequest, spec: ActionSpec) -> dict[str, object]:
    return {
        "action": request.action_id,
        "operation": spec.operation,
        "connector": spec.connector,
        "target": request.target_key,
        "params": dict(request.params),
        "idempotency_key": request.idempotency_key,
        "plan_hash": request.plan_hash,
        "reversibility": spec.reversibility.value,
        "risk": spec.risk.value,
        "approvals_needed": request.approvals_needed,
        "expires_at": request.expires_at.isoformat() if request.expires_at else None,
    }
