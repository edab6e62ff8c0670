"""Undo from the snapshot, and the reconciler settling intents a crash left open."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.commands import DeclareIncident, ReconcileIntents, RequestAction, UndoAction
from bot.core.events import ActionSettled, BulkSettled, IncidentDeclared, Refused
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.service.conftest import World

KEYS = [AffectedIdentity("aws", IdentityKind.ACCESS_KEY, f"AKIAEXAMPLE{n:05d}") for n in range(5)]
IAM = Actor("slack", "UIAM")


async def _declare(world: World) -> str:
    (event,) = await world.bus.handle(
        DeclareIncident(
            title="Keys on GitHub",
            source="scanner",
            declared_by=Actor("alert", "scanner"),
            identities=tuple(KEYS),
            severity=Severity.SEV2,
        )
    )
    assert isinstance(event, IncidentDeclared)
    return event.incident_id


def _whats(world: World, incident_id: str) -> list[str]:
    return [json.loads(x)["what"] for x in world.database.committed.lines[incident_id]]


async def _contained(world: World) -> tuple[str, str]:
    incident_id = await _declare(world)
    (done,) = await world.bus.handle(
        RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEYS[0].key, IAM)
    )
    assert isinstance(done, ActionSettled)
    key = next(iter(world.database.committed.requests))
    return incident_id, key


async def test_undo_refuses_the_unsafe_and_restores_the_confirmed(world: World) -> None:
    incident_id, key = await _contained(world)
    assert world.database.committed.requests[key].snapshot == {"status": "Active"}
    (refused,) = await world.bus.handle(UndoAction(key, IAM))
    assert isinstance(refused, ActionSettled) and refused.status is RequestStatus.FAILED
    assert world.aws.states[KEYS[0].key] == "Inactive"
    (outsider,) = await world.bus.handle(
        UndoAction(key, Actor("slack", "UOUT"), {"confirm_false_positive": "true"})
    )
    assert isinstance(outsider, Refused) and "authorization denied" in outsider.reason
    (restored,) = await world.bus.handle(
        UndoAction(key, IAM, {"confirm_false_positive": "true"}, "scanner false positive")
    )
    assert isinstance(restored, ActionSettled) and restored.status is RequestStatus.SUCCEEDED
    assert world.aws.states[KEYS[0].key] == "Active"
    assert _whats(world, incident_id)[-2:] == ["undo requested", "action undone"]
    assert "undo refused" in _whats(world, incident_id)


async def test_an_intent_left_running_is_reconciled_from_the_target(world: World) -> None:
    incident_id, key = await _contained(world)
    state = world.database.committed
    # A crash between the call and the outcome: the target changed, the row says running.
    state.requests[key] = replace(state.requests[key], status=RequestStatus.RUNNING)
    # And one between the intent and the call: nothing changed on the target.
    other = replace(state.requests[key], idempotency_key="k" * 64, target_key=KEYS[1].key)
    state.requests[other.idempotency_key] = other
    world.clock.advance(minutes=10)
    events = await world.bus.handle(ReconcileIntents(older_than_s=300))
    statuses = {e.target_key: e.status for e in events if isinstance(e, ActionSettled)}
    assert statuses == {KEYS[0].key: RequestStatus.SUCCEEDED, KEYS[1].key: RequestStatus.FAILED}
    assert world.aws.applied == [(DEACTIVATE_ACCESS_KEY.id, KEYS[0].key)]  # never re-called
    assert _whats(world, incident_id).count("action reconciled") == 2
    assert await world.bus.handle(ReconcileIntents(older_than_s=300)) == []


async def test_bulk_runs_each_target_once_and_can_be_repeated(world: World) -> None:
    incident_id = await _declare(world)
    (summary,) = await world.bus.handle(
        RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, "*", IAM)
    )
    assert summary == BulkSettled(
        incident_id, IAM, DEACTIVATE_ACCESS_KEY.id, total=5, succeeded=5, failed=0, skipped=0
    )
    (again,) = await world.bus.handle(
        RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, "*", IAM)
    )
    assert isinstance(again, BulkSettled) and again.skipped == 5
    assert sorted(world.aws.applied) == sorted((DEACTIVATE_ACCESS_KEY.id, k.key) for k in KEYS)
