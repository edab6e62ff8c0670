"""Domain objects to rows and back. The only place that knows both shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.actions import ActionOutcome, ActionRequest, RequestStatus
from bot.core.actors import Actor
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Environment, Incident, MessageRef, RoomRef, Severity, Status
from bot.core.roles import CommanderTerm
from bot.storage.models import ActionRequestRow, IncidentRow


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
        "updated_at": now,
    }


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
        outcome=ActionOutcome(**row.outcome) if row.outcome else None,
        justification=row.justification,
    )
