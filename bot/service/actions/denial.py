"""Ending a request without running it: one place, for a denial and a deadline.

Not a handler: an approver's denial (``decide_approval``) and the approval
deadline (the escalation timer) both end a request inside their own
transaction, so the timer's claim and the denial commit together and a crash
cannot leave a fired deadline with a request still waiting.
"""

from __future__ import annotations

from bot.core.actions import ActionRequest, RequestStatus
from bot.core.escalation import StallKind
from bot.core.events import Event, RequestDenied
from bot.core.evidence import EvidenceRecord
from bot.core.incidents import Incident
from bot.core.ports import UnitOfWork
from bot.service.context import Services


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
            what="action denied",
            actor=request.actor,
            at=svc.clock.now(),
            why=reason,
            outcome="not run",
            details={
                "request": request.idempotency_key,
                "action": request.action_id,
                "target": request.target_key,
                "plan_hash": request.plan_hash,
            },
        )
    )
    return RequestDenied(incident.id, request_key=request.idempotency_key, reason=reason)
