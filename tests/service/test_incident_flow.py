"""The declare and act handlers through the bus, on the in-memory fakes."""

from __future__ import annotations

import json

from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.commands import DeclareIncident, RequestAction
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ActionSettled,
    AlertCoalesced,
    DeclarationRefused,
    IncidentDeclared,
)
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity, Status
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.service.conftest import World

KEY = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE0001")
IAM = Actor("slack", "UIAM")
OUTSIDER = Actor("slack", "UOUT")


def _alert(identity: AffectedIdentity = KEY, severity: Severity = Severity.SEV2) -> DeclareIncident:
    return DeclareIncident(
        title="Key on GitHub",
        source="scanner",
        declared_by=Actor("alert", "scanner"),
        identities=(identity,),
        severity=severity,
        summary="found in a public repo",
    )


def _whats(world: World, incident_id: str) -> list[str]:
    lines = world.database.committed.lines[incident_id]
    return [json.loads(line)["what"] for line in lines]


async def _declare(world: World) -> str:
    (event,) = await world.bus.handle(_alert())
    assert isinstance(event, IncidentDeclared)
    return event.incident_id


async def test_an_alert_opens_a_room_names_the_commander_and_posts_the_card(world: World) -> None:
    incident_id = await _declare(world)
    assert incident_id == "INC-20261122-0001"
    ((room_incident, invited),) = world.chat.rooms
    assert room_incident == incident_id and {"slack:UIC", "slack:UIAM"} <= set(invited)
    assert world.chat.said == [(incident_id, "commander slack:UIC")]
    (card,) = world.chat.cards
    assert card.commander == "slack:UIC"
    assert [(b.action_id, b.target_key) for b in card.buttons] == [
        (DEACTIVATE_ACCESS_KEY.id, KEY.key)
    ]
    incident = world.database.committed.incidents[incident_id]
    assert incident.room is not None and incident.card is not None
    assert _whats(world, incident_id) == ["incident declared", "commander assigned", "room opened"]


async def test_a_second_alert_about_the_same_key_joins_the_incident(world: World) -> None:
    incident_id = await _declare(world)
    events = await world.bus.handle(_alert())
    assert events == [AlertCoalesced(incident_id, identity_key=KEY.key, added=False)]
    assert len(world.chat.rooms) == 1
    assert _whats(world, incident_id)[-1] == "alert coalesced"


async def test_no_matching_playbook_records_nothing(world: World) -> None:
    (refused,) = await world.bus.handle(_alert(severity=Severity.SEV4))
    assert isinstance(refused, DeclarationRefused) and "no playbook" in refused.reason
    assert world.database.committed.incidents == {}


async def test_outsider_is_refused_and_it_is_recorded(world: World) -> None:
    incident_id = await _declare(world)
    events = await world.bus.handle(
        RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, OUTSIDER)
    )
    assert isinstance(events[0], ActionRefused)
    assert "nhi.credential-lifecycle" in events[0].reason
    assert world.aws.applied == []
    assert world.chat.told == [("slack:UOUT", f"Not done: {events[0].reason}")]
    last = json.loads(world.database.committed.lines[incident_id][-1])
    assert last["what"] == "authorization denied" and last["who"]["user_id"] == "UOUT"


async def test_holder_contains_once_even_when_clicking_twice(world: World) -> None:
    incident_id = await _declare(world)
    click = RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, IAM)
    first = await world.bus.handle(click)
    second = await world.bus.handle(click)
    assert isinstance(first[0], ActionSettled) and first[0].status is RequestStatus.SUCCEEDED
    assert isinstance(second[0], ActionDuplicate)
    assert world.aws.applied == [(DEACTIVATE_ACCESS_KEY.id, KEY.key)]
    state = world.database.committed
    assert state.incidents[incident_id].status is Status.CONTAINED
    assert _whats(world, incident_id)[-5:] == [
        "action requested",
        "action planned",
        "action succeeded",
        "action verified",
        "status changed",
    ]
    size, _ = state.checkpoints[incident_id][-1]
    assert size == len(state.lines[incident_id])
    assert world.chat.cards[-1].outcomes[0].status is RequestStatus.SUCCEEDED


async def test_a_failed_action_may_be_tried_again(world: World) -> None:
    incident_id = await _declare(world)
    world.aws.fail_with = "throttled"
    click = RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, IAM)
    (failed,) = await world.bus.handle(click)
    assert isinstance(failed, ActionSettled) and failed.status is RequestStatus.FAILED
    world.aws.fail_with = None
    (retried,) = await world.bus.handle(click)
    assert isinstance(retried, ActionSettled) and retried.status is RequestStatus.SUCCEEDED
    assert world.database.committed.incidents[incident_id].status is Status.CONTAINED


async def test_unknown_parameters_are_refused(world: World) -> None:
    incident_id = await _declare(world)
    (event,) = await world.bus.handle(
        RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, IAM, {"force": "yes"})
    )
    assert isinstance(event, ActionRefused) and "unknown parameter 'force'" in event.reason
    assert world.aws.applied == []


async def test_an_action_the_playbook_does_not_offer_is_refused(world: World) -> None:
    incident_id = await _declare(world)
    (event,) = await world.bus.handle(
        RequestAction(incident_id, "aws.iam.quarantine_principal", KEY.key, IAM)
    )
    assert isinstance(event, ActionRefused) and "not offered" in event.reason


async def test_chat_down_still_keeps_the_incident(world: World) -> None:
    world.chat.fail_open = True
    incident_id = await _declare(world)
    assert incident_id in world.database.committed.incidents
    assert _whats(world, incident_id)[-1] == "room not opened"


async def test_only_the_commander_moves_the_lifecycle_and_close_seals(world: World) -> None:
    from bot.core.commands import ChangeStatus
    from bot.core.events import ReviewWritten, StatusChanged, StatusRefused

    incident_id = await _declare(world)
    commander = Actor("slack", "UIC")
    (refused,) = await world.bus.handle(ChangeStatus(IAM, Status.RESOLVED, incident_id))
    assert isinstance(refused, StatusRefused) and "commander" in refused.reason
    (illegal,) = await world.bus.handle(ChangeStatus(commander, Status.CLOSED, incident_id))
    assert isinstance(illegal, StatusRefused) and "cannot go from declared to closed" in (
        illegal.reason
    )
    room = world.database.committed.incidents[incident_id].room
    assert room is not None
    resolved, reviewed = await world.bus.handle(
        ChangeStatus(
            commander, Status.RESOLVED, room=(room.platform, room.room_id), reason="false positive"
        )
    )
    assert resolved == StatusChanged(incident_id, commander, "declared", "resolved")
    assert isinstance(reviewed, ReviewWritten) and reviewed.status == "resolved"
    await world.bus.handle(ChangeStatus(commander, Status.CLOSED, incident_id))
    state = world.database.committed
    assert state.incidents[incident_id].status is Status.CLOSED
    assert state.checkpoints[incident_id][-1][0] == len(state.lines[incident_id])
    assert _whats(world, incident_id)[-2:] == ["status changed", "post-incident review written"]
    (after_close,) = await world.bus.handle(
        RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEY.key, IAM)
    )
    assert isinstance(after_close, ActionRefused) and "closed" in after_close.reason
