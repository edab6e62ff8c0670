"""Four-eyes approval through the bus, with a clock the test moves."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.commands import DecideApproval, DeclareIncident, FireDueTimers, RequestAction
from bot.core.events import (
    ActionSettled,
    ApprovalRecorded,
    ApprovalRequested,
    Escalated,
    Event,
    IncidentDeclared,
    Refused,
    RequestDenied,
)
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from bot.service.bus import MessageBus
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.service.conftest import World

KEY = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIASHARED000001", shared_with_humans=True)
IAM, M1, M2 = Actor("slack", "UIAM"), Actor("slack", "UM1"), Actor("slack", "UM2")


async def _pending(world: World) -> tuple[str, str, str]:
    (declared,) = await world.bus.handle(
        DeclareIncident(
            title="Shared account abused",
            source="inventory",
            declared_by=Actor("alert", "inv"),
            identities=(KEY,),
            severity=Severity.SEV2,
        )
    )
    assert isinstance(declared, IncidentDeclared)
    (asked,) = await world.bus.handle(
        RequestAction(declared.incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, IAM)
    )
    assert isinstance(asked, ApprovalRequested)
    request = world.database.committed.requests[asked.request_key]
    assert request.status is RequestStatus.AWAITING_APPROVAL and request.plan_hash
    return declared.incident_id, asked.request_key, request.plan_hash


def _decide(
    key: str,
    who: Actor,
    plan: str,
    decision: Decision = Decision.APPROVE,
    reason: str = "looks right",
) -> DecideApproval:
    return DecideApproval(key, who, decision, plan, reason)


def _whats(world: World, incident_id: str) -> list[str]:
    return [json.loads(x)["what"] for x in world.database.committed.lines[incident_id]]


async def test_the_approvers_are_asked_and_the_card_shows_it(world: World) -> None:
    incident_id, _, _ = await _pending(world)
    people, prompt = world.chat.asked[-1]
    assert set(people) == {"slack:UM1", "slack:UM2"}
    assert [b.kind for b in prompt.buttons] == ["approve", "deny"]
    assert "0/2 approvals" in world.chat.cards[-1].pending[0]
    assert world.aws.applied == []
    assert _whats(world, incident_id)[-1] == "approval requested"


async def test_requester_cannot_approve_and_one_person_counts_once(world: World) -> None:
    incident_id, key, plan = await _pending(world)
    m1_requested = RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, M1)
    (dup,) = await world.bus.handle(m1_requested)
    assert dup.__class__.__name__ == "ActionDuplicate"
    (self_approval,) = await world.bus.handle(_decide(key, IAM, plan))
    assert isinstance(self_approval, Refused)
    assert "authorization denied" in self_approval.reason or "requester" in self_approval.reason
    (first,) = await world.bus.handle(_decide(key, M1, plan))
    assert isinstance(first, ApprovalRecorded)
    (again,) = await world.bus.handle(_decide(key, M1, plan))
    assert isinstance(again, Refused) and "counts once" in again.reason
    assert world.aws.applied == []
    assert world.database.committed.requests[key].status is RequestStatus.AWAITING_APPROVAL
    events = await world.bus.handle(_decide(key, M2, plan))
    settled = events[-1]
    assert isinstance(settled, ActionSettled) and settled.status is RequestStatus.SUCCEEDED
    assert world.aws.applied == [(DEACTIVATE_ACCESS_KEY.id, KEY.key)]
    entries = [json.loads(x) for x in world.database.committed.lines[incident_id]]
    last = next(e for e in entries if e["what"] == "action succeeded")
    assert [e["what"] for e in entries][-4:] == [
        "action planned",
        "action succeeded",
        "action verified",
        "status changed",
    ]
    assert len(last["details"]["approvals"]) == 2
    assert "approval refused" in _whats(world, incident_id)


async def test_an_approval_for_a_changed_plan_is_refused(world: World) -> None:
    _, key, _ = await _pending(world)
    (stale,) = await world.bus.handle(_decide(key, M1, "0" * 64))
    assert isinstance(stale, Refused) and "plan changed" in stale.reason


async def test_an_approval_after_the_window_is_refused(world: World) -> None:
    _, key, plan = await _pending(world)
    world.clock.advance(minutes=61)
    (late,) = await world.bus.handle(_decide(key, M1, plan))
    assert isinstance(late, Refused) and "expired" in late.reason


async def test_a_denial_needs_a_reason_and_ends_the_request(world: World) -> None:
    incident_id, key, plan = await _pending(world)
    (bare,) = await world.bus.handle(_decide(key, M1, plan, Decision.DENY, reason=" "))
    assert isinstance(bare, Refused) and "reason" in bare.reason
    events = await world.bus.handle(_decide(key, M2, plan, Decision.DENY, "not this key"))
    assert isinstance(events[-1], RequestDenied)
    assert world.database.committed.requests[key].status is RequestStatus.DENIED
    assert world.aws.applied == []
    assert _whats(world, incident_id)[-1] == "action denied"


async def test_a_stalled_approval_climbs_the_ladder_then_is_denied(world: World) -> None:
    incident_id, key, _ = await _pending(world)
    fire = FireDueTimers("test")
    world.clock.advance(minutes=10)
    first = _approval_steps(await world.bus.handle(fire))
    assert [(e.kind, e.notify) for e in first] == [("approval_pending", ("slack:UM1", "slack:UM2"))]
    world.clock.advance(minutes=10)
    second = _approval_steps(await world.bus.handle(fire))
    assert [(e.kind, e.notify) for e in second] == [("approval_pending", ("slack:UDIR",))]
    world.clock.advance(minutes=39)
    assert [e for e in await world.bus.handle(fire) if isinstance(e, RequestDenied)] == []
    world.clock.advance(minutes=1)
    final = await world.bus.handle(fire)
    assert any(isinstance(e, RequestDenied) for e in final)
    assert world.database.committed.requests[key].status is RequestStatus.DENIED
    fired = [
        json.loads(x)
        for x in world.database.committed.lines[incident_id]
        if json.loads(x)["what"] == "escalation timer fired"
    ]
    assert [f["details"]["step"] for f in fired if f["details"]["kind"] == "approval_pending"] == [
        0,
        1,
        2,
    ]
    assert _whats(world, incident_id)[-1] == "action denied"
    assert _approval_steps(await world.bus.handle(fire)) == []


async def test_a_deadline_denial_lost_to_a_crash_is_made_on_the_next_pass(world: World) -> None:
    """The deadline's denial is a follow-up command: a replica that dies after the
    timer's pass commits, before the denial runs, leaves the retry armed."""
    _, key, _ = await _pending(world)
    fire = FireDueTimers("test")
    for minutes in (10, 10, 39):
        world.clock.advance(minutes=minutes)
        await world.bus.handle(fire)
    world.clock.advance(minutes=1)
    dying = MessageBus({FireDueTimers: world.bus._commands[FireDueTimers]}, {})
    with pytest.raises(LookupError, match="ExpireApproval"):
        await dying.handle(fire)  # the pass committed; the denial never ran
    assert world.database.committed.requests[key].status is RequestStatus.AWAITING_APPROVAL
    assert any(isinstance(e, RequestDenied) for e in await world.bus.handle(fire))
    assert world.database.committed.requests[key].status is RequestStatus.DENIED
    assert _approval_steps(await world.bus.handle(fire)) == []


def _approval_steps(events: Sequence[Event]) -> list[Escalated]:
    return [e for e in events if isinstance(e, Escalated) and e.kind == "approval_pending"]
