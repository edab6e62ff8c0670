"""Acknowledgement, handoffs, the commander ladder, snoozing, and late timers."""

from __future__ import annotations

import json

from bot.core.actors import Actor
from bot.core.commands import (
    AcceptCommand,
    AcknowledgeCommand,
    DeclareIncident,
    FireDueTimers,
    ProposeHandoff,
    Snooze,
)
from bot.core.escalation import StallKind
from bot.core.events import (
    CommandAcknowledged,
    CommandChanged,
    Escalated,
    HandoffProposed,
    IncidentDeclared,
    Refused,
    Told,
)
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from tests.service.conftest import World

IC, M1, DIR = Actor("slack", "UIC"), Actor("slack", "UM1"), Actor("slack", "UDIR")
FIRE = FireDueTimers("test")


async def _declare(world: World) -> str:
    (declared,) = await world.bus.handle(
        DeclareIncident(
            title="Shared account",
            source="inventory",
            declared_by=Actor("alert", "inv"),
            identities=(AffectedIdentity("aws", IdentityKind.USER, "shared-svc"),),
            severity=Severity.SEV2,
        )
    )
    assert isinstance(declared, IncidentDeclared)
    return declared.incident_id


def _incident(world: World, incident_id: str):  # type: ignore[no-untyped-def]
    return world.database.committed.incidents[incident_id]


def _fired(world: World, incident_id: str) -> list[dict[str, object]]:
    entries = [json.loads(x) for x in world.database.committed.lines[incident_id]]
    return [e["details"] for e in entries if e["what"] == "escalation timer fired"]


async def test_the_named_commander_acknowledges_and_the_reminders_stop(world: World) -> None:
    incident_id = await _declare(world)
    assert not _incident(world, incident_id).commander_acknowledged
    (refused,) = await world.bus.handle(AcknowledgeCommand(M1, incident_id=incident_id))
    assert isinstance(refused, Refused)
    (acked,) = await world.bus.handle(AcknowledgeCommand(IC, incident_id=incident_id))
    assert isinstance(acked, CommandAcknowledged)
    world.clock.advance(minutes=30)
    events = await world.bus.handle(FIRE)
    assert not any(
        e.kind == "commander_not_acknowledged" for e in events if isinstance(e, Escalated)
    )


async def test_an_unacknowledged_commander_escalates_to_a_manager_who_takes_command(
    world: World,
) -> None:
    incident_id = await _declare(world)
    world.clock.advance(minutes=5)
    (reask,) = [e for e in await world.bus.handle(FIRE) if isinstance(e, Escalated)]
    assert (reask.kind, reask.notify, reask.prompt) == (
        "commander_not_acknowledged",
        ("slack:UIC",),
        "ack_command",
    )
    world.clock.advance(minutes=10)
    events = await world.bus.handle(FIRE)
    offered = [e for e in events if isinstance(e, HandoffProposed)]
    assert offered == [HandoffProposed(incident_id, to=DIR, by_escalation=True)]
    assert _incident(world, incident_id).commander == IC  # still in command
    (changed,) = await world.bus.handle(AcceptCommand(DIR, incident_id))
    assert changed == CommandChanged(incident_id, before=IC, after=DIR)
    incident = _incident(world, incident_id)
    assert incident.commander == DIR and incident.commander_acknowledged
    assert [t.handed_over_at is None for t in incident.commanders] == [False, True]


async def test_the_old_commander_keeps_command_until_the_handoff_is_accepted(
    world: World,
) -> None:
    incident_id = await _declare(world)
    (not_commander,) = await world.bus.handle(ProposeHandoff(M1, DIR, incident_id=incident_id))
    assert isinstance(not_commander, Refused)
    (proposed,) = await world.bus.handle(ProposeHandoff(IC, M1, incident_id=incident_id))
    assert proposed == HandoffProposed(incident_id, to=M1)
    assert world.chat.asked[-1][0] == ["slack:UM1"]
    (wrong,) = await world.bus.handle(AcceptCommand(DIR, incident_id))
    assert isinstance(wrong, Refused)
    assert _incident(world, incident_id).commander == IC
    world.clock.advance(minutes=10)
    stalled = [
        e
        for e in await world.bus.handle(FIRE)
        if isinstance(e, Escalated) and e.kind == "handoff_not_accepted"
    ]
    assert [e.notify for e in stalled] == [("slack:UM1", "slack:UM2")]
    (changed,) = await world.bus.handle(AcceptCommand(M1, incident_id))
    assert changed == CommandChanged(incident_id, before=IC, after=M1)
    assert (
        len([t for t in _incident(world, incident_id).commanders if t.handed_over_at is None]) == 1
    )


async def test_snooze_pushes_a_reminder_back_with_a_reason(world: World) -> None:
    incident_id = await _declare(world)
    (refused,) = await world.bus.handle(
        Snooze(M1, StallKind.COMMANDER_NOT_ACKNOWLEDGED, 30, "busy", incident_id=incident_id)
    )
    assert isinstance(refused, Refused)
    (told,) = await world.bus.handle(
        Snooze(
            IC,
            StallKind.COMMANDER_NOT_ACKNOWLEDGED,
            30,
            "in a bridge call",
            incident_id=incident_id,
        )
    )
    assert isinstance(told, Told)
    world.clock.advance(minutes=29)
    assert not [
        e
        for e in await world.bus.handle(FIRE)
        if isinstance(e, Escalated) and e.kind == "commander_not_acknowledged"
    ]
    world.clock.advance(minutes=1)
    assert [
        e
        for e in await world.bus.handle(FIRE)
        if isinstance(e, Escalated) and e.kind == "commander_not_acknowledged"
    ]
    entries = [json.loads(x) for x in world.database.committed.lines[incident_id]]
    assert any(e["what"] == "reminder snoozed" and e["why"] == "in a bridge call" for e in entries)


async def test_timers_due_while_down_fire_once_with_their_lateness(world: World) -> None:
    incident_id = await _declare(world)
    world.clock.advance(hours=3)  # Blastwall was down
    for _ in range(10):  # each pass arms the next step, already due: the ladder catches up
        if not await world.bus.handle(FIRE):
            break
    again = await world.bus.handle(FIRE)
    fired = _fired(world, incident_id)
    steps = [(f["kind"], f["step"]) for f in fired]
    assert len(steps) == len(set(steps))
    assert ("commander_not_acknowledged", 1) in steps
    first_ack = [f for f in fired if f["kind"] == "commander_not_acknowledged" and f["step"] == 0]
    assert len(first_ack) == 1
    assert first_ack[0]["lateness_seconds"] == 3 * 3600 - 5 * 60
    ids = [f["timer"] for f in fired]
    assert len(ids) == len(set(ids))
    assert again == []


async def test_an_escalation_notice_commits_with_its_timer_and_is_never_dropped(
    world: World,
) -> None:
    from bot.core.commands import DeliverNotices

    incident_id = await _declare(world)
    world.chat.fail_ask = True  # chat is down when the first reminder falls due
    world.clock.advance(minutes=5)
    await world.bus.handle(FIRE)
    state = world.database.committed
    (notice_id,) = [n for n, p in state.notices.items() if p.get("notice") != "open_room"]
    assert state.notices[notice_id]["kind"] == "commander_not_acknowledged"
    assert notice_id not in state.notices_sent
    assert any(
        e["what"] == "escalation timer fired" for e in map(json.loads, state.lines[incident_id])
    )
    world.chat.fail_ask = False
    world.clock.advance(minutes=2)
    (again,) = await world.bus.handle(DeliverNotices(older_than_s=60))
    assert isinstance(again, Escalated) and again.notice_id == notice_id
    assert notice_id in world.database.committed.notices_sent
    assert world.chat.asked[-1][0] == ["slack:UIC"]
    assert await world.bus.handle(DeliverNotices(older_than_s=60)) == []
