"""Executing a committed intent: plan (the snapshot), apply, verify, record.

The snapshot of the target's prior state commits before the change is made,
so undo has something to restore even if Blastwall dies mid-call; the
outcome, the read-back and a signed checkpoint commit together afterwards.

The whole call runs under the request's lease (``bot.service.actions.leases``), and every write
is conditional on the request still running: if the reconciler settled it
meanwhile, this process records a note of its late outcome, never a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.actions import (
    ActionOutcome,
    ActionPlan,
    ActionRequest,
    ActionSpec,
    RequestStatus,
    Verification,
)
from bot.core.escalation import StallKind
from bot.core.events import ActionDuplicate, ActionSettled, Event
from bot.core.evidence import EvidenceRecord, What
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Incident, Status
from bot.core.measures import TIME_TO_CONTAIN
from bot.core.ports import IncidentStore, UnitOfWork
from bot.service.actions.containment_time import ALERT_TO_CONTAINED, seconds_between
from bot.service.actions.leases import held
from bot.service.checkpoints import checkpoint
from bot.service.context import Services
from bot.service.frameworks import FRAMEWORKS, action_frameworks, playbook_frameworks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cleared:
    """A request that passed every check and whose intent is committed."""

    request: ActionRequest
    spec: ActionSpec
    target: AffectedIdentity
    alert_at: datetime | None = None  # automatic containment: when its alert came in


async def execute(cleared: Cleared, svc: Services, approvals: Sequence[str] = ()) -> Event:
    """Under the call's lease: plan (and commit the snapshot), apply, verify, then
    commit the outcome."""
    async with held(cleared.request.idempotency_key, svc) as holding:
        if not holding:
            return await _already(cleared, svc)
        return await _call(cleared, svc, approvals)


async def _call(cleared: Cleared, svc: Services, approvals: Sequence[str]) -> Event:
    connector = svc.connectors[cleared.spec.connector]
    request = cleared.request
    try:
        plan = await connector.plan(request.action_id, cleared.target, request.params)
    except Exception as exc:
        return await _settle(cleared, _unplanned(exc), None, svc, approvals)
    if not await _record_plan(cleared, plan, svc):
        return await _already(cleared, svc)  # settled elsewhere: do not make the change
    outcome = await _run(cleared, svc)
    verification = None
    if outcome.ok and not outcome.already:
        verification = await _verify(cleared, svc)
    return await _settle(cleared, outcome, verification, svc, approvals)


def _unplanned(exc: Exception) -> ActionOutcome:
    """The dry run failed, so nothing was changed. A connector's refusal carries a code
    (a rotation at AWS's two-key limit says so, and what to do) and is reported as one."""
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return ActionOutcome(ok=False, summary=f"nothing was changed: {exc}", error_code=code)
    return ActionOutcome(ok=False, summary=f"could not read the target: {exc}", error_code="error")


async def _already(cleared: Cleared, svc: Services) -> Event:
    """The request is no longer ours to run: report what it is now."""
    request = cleared.request
    async with svc.uow() as uow:
        current = await uow.incidents.get_request(request.idempotency_key)
    status = current.status if current else request.status
    return ActionDuplicate(
        request.incident_id, request.actor, request.action_id, request.target_key, status
    )


async def _record_plan(cleared: Cleared, plan: ActionPlan, svc: Services) -> bool:
    request = cleared.request
    request.snapshot = dict(plan.before)
    async with svc.uow() as uow:
        incident = await uow.incidents.get(request.incident_id, for_update=True)
        if not await uow.incidents.save_request(request, expect=RequestStatus.RUNNING):
            return False
        refs = action_frameworks(svc, incident.playbook if incident else "", request.action_id)
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=request.incident_id,
                what=What.ACTION_PLANNED,
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
                    FRAMEWORKS: refs,
                },
            )
        )
        await uow.commit()
    return True


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
        if not await store.save_request(request, expect=RequestStatus.RUNNING):
            await store.append_evidence(_late(request, outcome, svc))
            await checkpoint(store, svc.signer, incident.id)
            await uow.commit()
            log.warning(
                "request %s was settled elsewhere before its call ended", request.idempotency_key
            )
            return await _already(cleared, svc)
        refs = action_frameworks(svc, incident.playbook, request.action_id)
        settled = _settled(request, cleared.spec, outcome, svc, approvals, refs)
        contained_in = _contained_in(cleared, outcome, settled)
        await store.append_evidence(settled)
        if verification is not None:
            await store.append_evidence(_verified(request, verification, svc, refs))
        await after_outcome(uow, incident, request, svc)
        await checkpoint(store, svc.signer, incident.id)
        await uow.commit()
    if contained_in is not None:
        ALERT_TO_CONTAINED.observe(contained_in)
    if outcome.ok:
        took = (settled.at - incident.declared_at).total_seconds()
        svc.metrics.observe(TIME_TO_CONTAIN, took, {"action": request.action_id})
    return replace(
        ActionSettled.of(request, outcome.summary),
        follow_up=_follow_up(cleared.spec, outcome),
    )


def _follow_up(spec: ActionSpec, outcome: ActionOutcome) -> str:
    return spec.follow_up if outcome.ok and not outcome.already else ""


def _contained_in(
    cleared: Cleared, outcome: ActionOutcome, settled: EvidenceRecord
) -> float | None:
    """An automatic action's alert-to-contained time, put on its settled entry."""
    if not outcome.ok or cleared.alert_at is None:
        return None
    seconds = seconds_between(cleared.alert_at, settled.at)
    settled.details["alert_to_contained_s"] = seconds
    return seconds


async def after_outcome(
    uow: UnitOfWork, incident: Incident, request: ActionRequest, svc: Services
) -> None:
    """What a recorded outcome changes besides the request: its stall timer stops, and
    the first success contains the incident. The reconciler shares this path, so a
    reconciled success moves the incident exactly as a normal one does."""
    await uow.timers.cancel(incident.id, StallKind.ACTION_NOT_RUN, request.idempotency_key)
    if request.status is RequestStatus.SUCCEEDED and incident.status is Status.DECLARED:
        await _contain(uow.incidents, incident, request, svc)


async def _contain(
    store: IncidentStore, incident: Incident, request: ActionRequest, svc: Services
) -> None:
    """The first successful containment action marks the incident contained."""
    previous = incident.transition(Status.CONTAINED)
    await store.save(incident)
    await store.append_evidence(
        EvidenceRecord(
            incident_id=incident.id,
            what=What.STATUS_CHANGED,
            actor=request.actor,
            at=svc.clock.now(),
            why=f"{request.action_id} succeeded on {request.target_key}",
            before={"status": previous.value},
            after={"status": incident.status.value},
            details={FRAMEWORKS: playbook_frameworks(svc, incident.playbook)},
        )
    )


def _late(request: ActionRequest, outcome: ActionOutcome, svc: Services) -> EvidenceRecord:
    """The call ended after the request was settled (reconciled): noted, not recorded
    as a second outcome."""
    return EvidenceRecord(
        incident_id=request.incident_id,
        what=What.LATE_OUTCOME_NOT_RECORDED,
        actor=request.actor,
        at=svc.clock.now(),
        outcome=outcome.summary,
        details={
            "request": request.idempotency_key,
            "action": request.action_id,
            "target": request.target_key,
            "reported": (RequestStatus.SUCCEEDED if outcome.ok else RequestStatus.FAILED).value,
        },
    )


def _settled(
    request: ActionRequest,
    spec: ActionSpec,
    outcome: ActionOutcome,
    svc: Services,
    approvals: Sequence[str],
    refs: dict[str, object],
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=request.incident_id,
        what=What.ACTION_SUCCEEDED if outcome.ok else What.ACTION_FAILED,
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
            **_state_details(spec, outcome),
            FRAMEWORKS: refs,
        },
    )


def _state_details(spec: ActionSpec, outcome: ActionOutcome) -> dict[str, object]:
    """What a review reads off the success entry: the identity's new state ("rotated")
    and the task left to a person (a GitHub key no API rotates)."""
    details: dict[str, object] = {}
    if outcome.ok and spec.identity_state:
        details["identity_state"] = spec.identity_state
    if follow_up := _follow_up(spec, outcome):
        details["follow_up"] = follow_up
    return details


def _verified(
    request: ActionRequest, verification: Verification, svc: Services, refs: dict[str, object]
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=request.incident_id,
        what=What.ACTION_VERIFIED if verification.confirmed else What.VERIFICATION_FAILED,
        actor=request.actor,
        at=svc.clock.now(),
        after=dict(verification.observed),
        outcome=verification.summary,
        details={
            "action": request.action_id,
            "target": request.target_key,
            "request": request.idempotency_key,
            FRAMEWORKS: refs,
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
