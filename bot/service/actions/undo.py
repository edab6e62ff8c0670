"""Undo: restore a target from the snapshot taken before the change, when it is safe.

Irreversible actions are refused here; the connector refuses the unsafe ones
(a leaked key re-enabled, a session revocation lifted too early) and says why.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.actions import (
    ActionOutcome,
    ActionRequest,
    Operation,
    RequestStatus,
    Reversibility,
    idempotency_key,
)
from bot.core.actors import Actor
from bot.core.approvals import BULK_TARGET
from bot.core.commands import Command, RunUndo, UndoAction
from bot.core.events import ActionSettled, Event, Refused, TurnedAway
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident, Status
from bot.core.ports import UnitOfWork
from bot.service.checkpoints import checkpoint
from bot.service.context import Services
from bot.service.frameworks import FRAMEWORKS, action_frameworks


async def undo_action(cmd: UndoAction, svc: Services) -> Sequence[Event | Command]:
    async with svc.uow() as uow:
        original = await uow.incidents.get_request(cmd.request_key)
        incident = (
            await uow.incidents.get(original.incident_id, for_update=True) if original else None
        )
        if original is None or incident is None:
            return [TurnedAway("", cmd.actor, "no such action to undo")]
        reason = _refusal(incident, original, cmd, svc) or await _rotated(uow, original, svc)
        undo = None if reason else await _reserve(uow, incident, original, cmd, svc)
        if undo is None:
            reason = reason or "this undo was already requested"
            await uow.incidents.append_evidence(
                _entry(incident, original, cmd, svc, What.UNDO_REFUSED, reason)
            )
            await uow.commit()
            return [Refused(incident.id, cmd.actor, reason)]
        await uow.incidents.append_evidence(
            _entry(incident, original, cmd, svc, What.UNDO_REQUESTED, None)
        )
        await uow.commit()
    return [RunUndo(undo.idempotency_key)]  # the restore runs after the ack


async def run_undo(cmd: RunUndo, svc: Services) -> Sequence[Event]:
    """Restore the target for a committed undo intent that is still running. A crash
    before it leaves the intent to the reconciler, which says to check and undo again."""
    async with svc.uow() as uow:
        undo = await uow.incidents.get_request(cmd.undo_key)
        original = await uow.incidents.get_request(undo.undo_of) if undo and undo.undo_of else None
        incident = await uow.incidents.get(undo.incident_id) if undo else None
    if undo is None or original is None or incident is None:
        return []
    if undo.status is not RequestStatus.RUNNING or undo.operation is not Operation.UNDO:
        return []
    outcome = await _restore(original, incident, undo.params, svc)
    refs = action_frameworks(svc, incident.playbook, original.action_id)
    return [await _settle(undo, original, outcome, svc, refs)]


async def why_not_undo(
    uow: UnitOfWork, incident: Incident, original: ActionRequest, actor: Actor, svc: Services
) -> str | None:
    """Why ``actor`` may not undo ``original`` now (None: they may ask). The console shows
    it beside the request before anyone clicks; the handler decides the same on the click
    (and the connector may still refuse an undo its system makes unsafe)."""
    undone = [
        r
        for r in await uow.incidents.requests_for(original.incident_id)
        if r.undo_of == original.idempotency_key and r.status is not RequestStatus.FAILED
    ]
    if undone:
        return "already undone" if undone[0].status.settled else "an undo is under way"
    cmd = UndoAction(original.idempotency_key, actor)
    return _refusal(incident, original, cmd, svc) or await _rotated(uow, original, svc)


def _refusal(
    incident: Incident, original: ActionRequest, cmd: UndoAction, svc: Services
) -> str | None:
    spec = svc.catalogue.get(original.action_id)
    playbook = svc.playbooks.get(incident.playbook)
    if spec is None or playbook is None or spec.connector not in svc.connectors:
        return f"{original.action_id} cannot be undone here"
    if not playbook.holds(cmd.actor, spec.right):
        return f"authorization denied: {spec.right.value} is required"
    if incident.status is Status.CLOSED:
        return f"{incident.id} is closed"
    if original.target_key == BULK_TARGET:
        return "a bulk action is undone identity by identity"
    if original.operation is not Operation.APPLY or original.status is not RequestStatus.SUCCEEDED:
        return "only a containment action that succeeded can be undone"
    if not spec.reversibility.reversible and spec.reversibility.value != "expires-by-itself":
        return f"{original.action_id} is irreversible"
    if original.snapshot is None:
        return "no snapshot of the prior state was taken"
    return spec.param_problem(cmd.params)


async def _rotated(uow: UnitOfWork, original: ActionRequest, svc: Services) -> str | None:
    """Once an identity is rotated, toggling its old credential back on is pointless (the
    workload has the new one) and unsafe (whoever holds the old one gets in again)."""
    spec = svc.catalogue.get(original.action_id)
    if spec is None or spec.reversibility is not Reversibility.TOGGLE:
        return None
    for request in await uow.incidents.requests_for(original.incident_id):
        done = svc.catalogue.get(request.action_id)
        if (
            done is not None
            and done.identity_state
            and request.target_key == original.target_key
            and request.operation is Operation.APPLY
            and request.status is RequestStatus.SUCCEEDED
        ):
            return (
                f"{original.target_key} was {done.identity_state} ({request.action_id}): "
                "re-enabling the old credential is pointless and would hand access back "
                "to whoever holds it"
            )
    return None


async def _reserve(
    uow: UnitOfWork, incident: Incident, original: ActionRequest, cmd: UndoAction, svc: Services
) -> ActionRequest | None:
    params = {**cmd.params, "undo_of": original.idempotency_key}
    request = ActionRequest(
        incident_id=incident.id,
        action_id=original.action_id,
        target_key=original.target_key,
        params=dict(cmd.params),
        actor=cmd.actor,
        idempotency_key=idempotency_key(
            incident.id, original.action_id, original.target_key, params
        ),
        requested_at=svc.clock.now(),
        justification=cmd.justification,
        operation=Operation.UNDO,
        undo_of=original.idempotency_key,
    )
    return request if await uow.incidents.add_request(request) else None


async def _restore(
    original: ActionRequest, incident: Incident, params: dict[str, str], svc: Services
) -> ActionOutcome:
    spec = svc.catalogue[original.action_id]
    target = incident.identity(original.target_key)
    assert target is not None and original.snapshot is not None
    try:
        return await svc.connectors[spec.connector].undo(
            original.action_id, target, dict(params), original.snapshot
        )
    except Exception as exc:
        return ActionOutcome(ok=False, summary=f"connector error: {exc}", error_code="error")


async def _settle(
    undo: ActionRequest,
    original: ActionRequest,
    outcome: ActionOutcome,
    svc: Services,
    refs: dict[str, object],
) -> Event:
    undo.status = RequestStatus.SUCCEEDED if outcome.ok else RequestStatus.FAILED
    undo.outcome = outcome
    async with svc.uow() as uow:
        await uow.incidents.get(undo.incident_id, for_update=True)
        await uow.incidents.save_request(undo)
        what = (
            What.ACTION_UNDONE
            if outcome.ok
            else (
                What.UNDO_REFUSED
                if outcome.error_code in ("unsafe", "irreversible")
                else What.UNDO_FAILED
            )
        )
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=undo.incident_id,
                what=what,
                actor=undo.actor,
                at=svc.clock.now(),
                why=undo.justification,
                right=svc.catalogue[undo.action_id].right.value,
                before=original.outcome.after if original.outcome else None,
                after=dict(outcome.after),
                outcome=outcome.summary,
                details={
                    "undo_of": original.idempotency_key,
                    "request": undo.idempotency_key,
                    "snapshot": original.snapshot,
                    "error_code": outcome.error_code,
                    "response_sha256": outcome.response_hash,
                    FRAMEWORKS: refs,
                },
            )
        )
        await checkpoint(uow.incidents, svc.signer, undo.incident_id)
        await uow.commit()
    return ActionSettled.of(undo, f"undo: {outcome.summary}")


def _entry(
    incident: Incident,
    original: ActionRequest,
    cmd: UndoAction,
    svc: Services,
    what: What,
    refused: str | None,
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=incident.id,
        what=what,
        actor=cmd.actor,
        at=svc.clock.now(),
        why=cmd.justification,
        outcome=refused,
        details={
            "undo_of": original.idempotency_key,
            "action": original.action_id,
            "target": original.target_key,
            "params": dict(cmd.params),
            FRAMEWORKS: action_frameworks(svc, incident.playbook, original.action_id),
        },
    )
