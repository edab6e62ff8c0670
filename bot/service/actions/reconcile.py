"""Settling intents that never got an outcome (Blastwall died mid-call).

It reads the target's real state and records what it finds; it never calls
the connector's apply again, because it cannot know whether the first call
landed. An intent counts as abandoned only once its call lease has lapsed
(``bot.service.actions.leases``; an intent that never took a lease, once nobody has touched it
for ``older_than_s``), measured on the database's clock on PostgreSQL, so a
live call on another replica is left alone however fast this replica's clock.
The outcome is written only if the intent is still abandoned at that moment,
and a reconciled success moves the incident as a normal success does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.actions import ActionOutcome, ActionRequest, Operation, RequestStatus
from bot.core.actors import SYSTEM
from bot.core.commands import ReconcileIntents
from bot.core.events import ActionSettled, Event
from bot.core.evidence import EvidenceRecord, What
from bot.service.actions.execute import after_outcome
from bot.service.checkpoints import checkpoint
from bot.service.context import Services
from bot.service.frameworks import FRAMEWORKS, action_frameworks

log = logging.getLogger(__name__)


async def reconcile(cmd: ReconcileIntents, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        stale = await uow.incidents.abandoned(svc.clock.now(), cmd.older_than_s)
    events: list[Event] = []
    for request in stale:
        outcome = await _observe(request, svc)
        settled = await _settle(request, outcome, cmd.older_than_s, svc)
        if settled is not None:
            events.append(settled)
    return events


async def _observe(request: ActionRequest, svc: Services) -> ActionOutcome:
    """What the target shows now: the change made (succeeded), or not (failed)."""
    spec = svc.catalogue.get(request.action_id)
    async with svc.uow() as uow:
        incident = await uow.incidents.get(request.incident_id)
    target = incident.identity(request.target_key) if incident else None
    if spec is None or target is None or spec.connector not in svc.connectors:
        return ActionOutcome(
            ok=False, summary="reconciled: cannot read this target", error_code="unknown"
        )
    if request.operation is Operation.UNDO:
        return ActionOutcome(
            ok=False,
            summary="reconciled: an undo was interrupted; check the target and undo again",
            error_code="unknown",
        )
    try:
        plan = await svc.connectors[spec.connector].plan(request.action_id, target, request.params)
    except Exception as exc:
        return ActionOutcome(
            ok=False, summary=f"reconciled: could not read the target: {exc}", error_code="unknown"
        )
    if plan.no_op:
        return ActionOutcome(
            ok=True,
            summary="reconciled: the target shows the change",
            before=dict(request.snapshot or {}),
            after=dict(plan.before),
        )
    return ActionOutcome(
        ok=False,
        error_code="interrupted",
        before=dict(plan.before),
        summary="reconciled: the change was not made (interrupted); "
        "not retried automatically, request it again",
    )


async def _settle(
    request: ActionRequest, outcome: ActionOutcome, older_than_s: float, svc: Services
) -> Event | None:
    async with svc.uow() as uow:
        incident = await uow.incidents.get(request.incident_id, for_update=True)
        current = await uow.incidents.get_request(request.idempotency_key)
        if incident is None or current is None or current.status is not RequestStatus.RUNNING:
            return None  # someone settled it meanwhile
        current.status = RequestStatus.SUCCEEDED if outcome.ok else RequestStatus.FAILED
        current.outcome = outcome
        if not await uow.incidents.settle_abandoned(current, svc.clock.now(), older_than_s):
            log.info("request %s came back to life; left to its holder", current.idempotency_key)
            return None
        refs = action_frameworks(svc, incident.playbook, current.action_id)
        await uow.incidents.append_evidence(_reconciled(current, outcome, svc, refs))
        await after_outcome(uow, incident, current, svc)
        await checkpoint(uow.incidents, svc.signer, current.incident_id)
        await uow.commit()
    return ActionSettled.of(current, outcome.summary)


def _reconciled(
    current: ActionRequest, outcome: ActionOutcome, svc: Services, refs: dict[str, object]
) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id=current.incident_id,
        what=What.ACTION_RECONCILED,
        actor=SYSTEM,
        at=svc.clock.now(),
        before=dict(outcome.before),
        after=dict(outcome.after),
        outcome=outcome.summary,
        details={
            "request": current.idempotency_key,
            "action": current.action_id,
            "target": current.target_key,
            "requested_by": current.actor.principal,
            "status": current.status.value,
            FRAMEWORKS: refs,
        },
    )
