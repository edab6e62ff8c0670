"""The room opens through the outbox: a chat outage delays it, never loses it, and
escalation notices for the incident wait for it (issue 12 §4)."""

from __future__ import annotations

import json

from bot.core.actors import Actor
from bot.core.commands import DeclareIncident, DeliverNotices, FireDueTimers
from bot.core.events import Escalated, IncidentDeclared
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from tests.service.conftest import World

RETRY = DeliverNotices(older_than_s=60)


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
    assert isinstance(declared, IncidentDeclared) and declared.notice_id is not None
    return declared.incident_id


def _whats(world: World, incident_id: str) -> list[str]:
    return [json.loads(x)["what"] for x in world.database.committed.lines[incident_id]]


async def test_a_room_chat_refused_opens_on_a_later_delivery_and_reminders_wait(
    world: World,
) -> None:
    world.chat.fail_open = True
    incident_id = await _declare(world)
    assert world.database.committed.incidents[incident_id].room is None
    world.clock.advance(minutes=5)  # the commander reminder falls due: no room to say it in
    fired = [e for e in await world.bus.handle(FireDueTimers("test")) if isinstance(e, Escalated)]
    assert fired and world.chat.asked == []
    again = await world.bus.handle(RETRY)  # chat still down: both stay unsent
    assert {type(e) for e in again} == {IncidentDeclared, Escalated}
    assert _whats(world, incident_id).count("room not opened") == 2

    world.chat.fail_open = False
    world.clock.advance(minutes=2)  # past the claim of the last try
    await world.bus.handle(RETRY)
    assert world.database.committed.incidents[incident_id].room is not None
    assert len(world.chat.rooms) == 1 and world.chat.asked  # the reminder went out too
    assert _whats(world, incident_id).count("room opened") == 1
    state = world.database.committed
    assert set(state.notices) == set(state.notices_sent)
    world.clock.advance(minutes=2)
    assert await world.bus.handle(RETRY) == []
