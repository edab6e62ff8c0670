"""The escalation's offer of command is never lost and never made twice.

It is recorded in the timer's own transaction: a crash before the pass commits
leaves the timer pending (the next pass offers), and once the pass has committed
there is no follow-up left to lose.
"""

from __future__ import annotations

import json

import pytest

from bot.core.actors import Actor
from bot.core.commands import DeclareIncident, FireDueTimers
from bot.core.events import Event, HandoffProposed, IncidentDeclared
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from bot.service.bus import MessageBus
from tests.fakes.memory_store import MemoryOutbox
from tests.service.conftest import World

DIR = Actor("slack", "UDIR")
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


def _offers(world: World, incident_id: str) -> list[dict[str, object]]:
    entries = [json.loads(x) for x in world.database.committed.lines[incident_id]]
    return [e for e in entries if e["what"] == "handoff proposed"]


def _proposed(events: list[Event]) -> list[HandoffProposed]:
    return [e for e in events if isinstance(e, HandoffProposed)]


async def _to_the_offer_step(world: World) -> str:
    """Declare, let the re-ask fire, and bring the clock to the offer step's due time."""
    incident_id = await _declare(world)
    world.clock.advance(minutes=5)
    await world.bus.handle(FIRE)
    world.clock.advance(minutes=10)
    return incident_id


async def test_with_no_crash_command_is_offered_exactly_once(world: World) -> None:
    incident_id = await _to_the_offer_step(world)
    offered = _proposed(list(await world.bus.handle(FIRE)))
    assert offered == [HandoffProposed(incident_id, to=DIR, by_escalation=True)]
    for _ in range(3):
        world.clock.advance(minutes=30)
        assert _proposed(list(await world.bus.handle(FIRE))) == []
    assert len(_offers(world, incident_id)) == 1
    handoff = world.database.committed.incidents[incident_id].pending_handoff
    assert handoff is not None and handoff.to == DIR and handoff.by_escalation


async def test_a_pass_whose_follow_ups_are_lost_has_already_made_the_offer(
    world: World,
) -> None:
    """The replica dies once the timer's pass commits, running no follow-up command:
    the offer was part of that pass, so it stands, and no later pass makes another."""
    incident_id = await _to_the_offer_step(world)
    dying = MessageBus({FireDueTimers: world.bus._commands[FireDueTimers]}, {})
    offered = _proposed(list(await dying.handle(FIRE)))
    assert offered == [HandoffProposed(incident_id, to=DIR, by_escalation=True)]
    assert len(_offers(world, incident_id)) == 1
    world.clock.advance(minutes=30)
    assert _proposed(list(await world.bus.handle(FIRE))) == []
    assert len(_offers(world, incident_id)) == 1


async def test_an_offer_lost_to_a_crash_mid_pass_is_made_on_the_next_pass(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the offer is recorded but before the pass commits takes the offer
    and the claim down together: the timer is still pending and the next pass offers."""
    incident_id = await _to_the_offer_step(world)
    real_add = MemoryOutbox.add

    async def crash(self: MemoryOutbox, incident: str, payload: dict[str, object]) -> int:
        raise RuntimeError("the replica died mid-pass")

    monkeypatch.setattr(MemoryOutbox, "add", crash)
    with pytest.raises(RuntimeError, match="died mid-pass"):
        await world.bus.handle(FIRE)
    assert _offers(world, incident_id) == []
    assert world.database.committed.incidents[incident_id].pending_handoff is None
    monkeypatch.setattr(MemoryOutbox, "add", real_add)
    offered = _proposed(list(await world.bus.handle(FIRE)))
    assert offered == [HandoffProposed(incident_id, to=DIR, by_escalation=True)]
    world.clock.advance(minutes=30)
    assert _proposed(list(await world.bus.handle(FIRE))) == []
    assert len(_offers(world, incident_id)) == 1
