"""Domain objects to rows and back. The only place that knows both shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.actions import ActionOutcome, ActionRequest, Operation, RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import Approval, Decision
from bot.core.escalation import StallKind
from bot.core.identities import AffectedIdentity
from bot.core.incidents import (
    Environment,
    Handoff,
    Incident,
    MessageRef,
    RoomRef,
    Severity,
    Status,
)
from bot.core.roles import CommanderTerm
from bot.core.timers import Timer, TimerState
from bot.storage.models import ActionRequestRow, ApprovalRow, IncidentRow, TimerRow


def actor_record(actor: Actor) -> dict[str, Any]:
    return {"platform": actor.platform, "user_id": actor.user_id, "display": actor.display}


def actor_from(record: dict[str, Any]) -> Actor:
    return Actor(record["platform"], record["user_id"], record.get("display", ""))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def room_key(platform: str, room_id: str) -> str:
    return f"{platform}:{room_id}"


def incident_row(incident: Incident, now: datetime) -> dict[str, Any]:
    """Column values for an insert or an update."""
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "environment": incident.environment.value,
        "playbook": incident.playbook,
        "summary": incident.summary,
        "declared_at": incident.declared_at,
        "declared_by": actor_record(incident.declared_by),
        "room": vars(incident.room).copy() if incident.room else None,
        "room_key": room_key(incident.room.platform, incident.room.room_id)
        if incident.room
        else None,
        "card": vars(incident.card).copy() if incident.card else None,
        "identities": [i.as_record() for i in incident.identities],
        "commanders": [
            {
                "actor": actor_record(t.actor),
                "assumed_at": _time(t.assumed_at),
                "handed_over_at": _time(t.handed_over_at),
            }
            for t in incident.commanders
        ],
        "responders": [actor_record(a) for a in incident.responders],
        "commander_acknowledged": incident.commander_acknowledged,
        "pending_handoff": _handoff_record(incident.pending_handoff),
        "updated_at": now,
    }


def _handoff_record(handoff: Handoff | None) -> dict[str, Any] | None:
    if handoff is None:
        return None
    return {
        "to": actor_record(handoff.to),
        "proposed_by": actor_record(handoff.proposed_by),
        "proposed_at": handoff.proposed_at.isoformat(),
        "by_escalation": handoff.by_escalation,
    }


def _handoff_from(record: dict[str, Any] | None) -> Handoff | None:
    if record is None:
        return None
    return Handoff(
        actor_from(record["to"]),
        actor_from(record["proposed_by"]),
        datetime.fromisoformat(record["proposed_at"]),
        bool(record["by_escalation"]),
    )


def incident_from(row: IncidentRow) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        severity=Severity(row.severity),
        status=Status(row.status),
        environment=Environment(row.environment),
        playbook=row.playbook,
        summary=row.summary,
        declared_at=row.declared_at,
        declared_by=actor_from(row.declared_by),
        room=RoomRef(**row.room) if row.room else None,
        card=MessageRef(**row.card) if row.card else None,
        identities=[AffectedIdentity.from_record(r) for r in row.identities],
        commanders=[_term(t) for t in row.commanders],
        responders=[actor_from(a) for a in row.responders],
        commander_acknowledged=row.commander_acknowledged,
        pending_handoff=_handoff_from(row.pending_handoff),
    )


def _term(record: dict[str, Any]) -> CommanderTerm:
    assumed = _parse_time(record["assumed_at"])
    assert assumed is not None
    return CommanderTerm(
        actor_from(record["actor"]), assumed, _parse_time(record.get("handed_over_at"))
    )


def request_row(request: ActionRequest, now: datetime) -> dict[str, Any]:
    outcome = request.outcome
    return {
        "idempotency_key": request.idempotency_key,
        "incident_id": request.incident_id,
        "action_id": request.action_id,
        "target_key": request.target_key,
        "params": dict(request.params),
        "actor": actor_record(request.actor),
        "justification": request.justification,
        "status": request.status.value,
        "outcome": vars(outcome).copy() if outcome else None,
        "plan_hash": request.plan_hash,
        "approvals_needed": request.approvals_needed,
        "expires_at": request.expires_at,
        "snapshot": request.snapshot,
        "operation": request.operation.value,
        "undo_of": request.undo_of,
        "requested_at": request.requested_at,
        "updated_at": now,
    }


def request_from(row: ActionRequestRow) -> ActionRequest:
    return ActionRequest(
        incident_id=row.incident_id,
        action_id=row.action_id,
        target_key=row.target_key,
        params={str(k): str(v) for k, v in row.params.items()},
        actor=actor_from(row.actor),
        idempotency_key=row.idempotency_key,
        requested_at=row.requested_at,
        status=RequestStatus(row.status),
        outcome=_outcome(row.outcome),
        justification=row.justification,
        plan_hash=row.plan_hash,
        approvals_needed=row.approvals_needed,
        expires_at=row.expires_at,
        snapshot=row.snapshot,
        operation=Operation(row.operation),
        undo_of=row.undo_of,
    )


def _outcome(record: dict[str, Any] | None) -> ActionOutcome | None:
    return ActionOutcome(**record) if record else None


def approval_row(approval: Approval) -> dict[str, Any]:
    return {
        "request_key": approval.request_key,
        "approver_principal": approval.approver.principal,
        "approver": actor_record(approval.approver),
        "decision": approval.decision.value,
        "plan_hash": approval.plan_hash,
        "reason": approval.reason,
        "decided_at": approval.decided_at,
    }


def approval_from(row: ApprovalRow) -> Approval:
    return Approval(
        row.request_key,
        actor_from(row.approver),
        Decision(row.decision),
        row.plan_hash,
        row.reason,
        row.decided_at,
    )


def timer_from(row: TimerRow) -> Timer:
    return Timer(
        incident_id=row.incident_id,
        kind=StallKind(row.kind),
        subject=row.subject,
        step=row.step,
        due_at=row.due_at,
        started_at=row.started_at,
        generation=row.generation,
        id=row.id,
        state=TimerState(row.state),
    )
