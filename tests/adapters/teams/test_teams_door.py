"""/api/messages: what a verified activity becomes, and what an unverified one does not."""

from __future__ import annotations

import pytest

from bot.core.actors import Actor
from bot.core.commands import AcknowledgeCommand, ChangeStatus, ProposeHandoff, RequestAction
from bot.core.incidents import Status
from tests.adapters.teams.conftest import GatedBus, TeamsRig
from tests.fakes.teams_service import TEAM_ID
from tests.scenarios.harness import eventually

pytestmark = pytest.mark.db

ALICE, BOB = "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
CHANNEL = "19:incident-room@thread.tacv2"


async def test_handoff_ack_and_status_typed_in_the_incident_channel(rig: TeamsRig) -> None:
    alice = rig.teams.add_member(ALICE, "Alice")
    bob = rig.teams.add_member(BOB, "Bob")
    where = rig.driver.in_team("message", alice, channel=CHANNEL)
    for text, *mentioned in (
        ("incident handoff <at>Bob</at>", bob),
        ("incident ack",),
        ("incident status resolved keys rotated",),
    ):
        answer = await rig.driver.post(rig.driver.said(where, text, *mentioned))
        assert answer.status_code == 201
    room = ("teams", CHANNEL)
    me = Actor("teams", ALICE)
    assert rig.bus.commands == [
        ProposeHandoff(me, Actor("teams", BOB), room=room),
        AcknowledgeCommand(me, room=room),
        ChangeStatus(me, Status.RESOLVED, room=room, reason="keys rotated"),
    ]


async def test_card_clicks_carry_the_verified_aad_object_id(rig: TeamsRig) -> None:
    alice = rig.teams.add_member(ALICE, "Alice")
    data = {"i": "INC-20261201-0001", "a": "aws.iam.deactivate_access_key", "t": "aws:key:1"}
    clicked = rig.driver.clicked(rig.driver.in_team("invoke", alice), "bw.action", data)
    answer = await rig.driver.post(clicked)
    assert answer.status_code == 200
    assert answer.json()["type"] == "application/vnd.microsoft.card.adaptive"
    assert rig.bus.commands == [
        RequestAction("INC-20261201-0001", data["a"], data["t"], Actor("teams", ALICE))
    ]


async def test_a_denial_needs_a_justification(rig: TeamsRig) -> None:
    manager = rig.teams.add_member(BOB, "Bob")
    data = {"k": "deny", "i": "INC-20261201-0001", "r": "req-1", "h": "sha256:ab"}
    answer = await rig.driver.post(
        rig.driver.clicked(rig.driver.personal("invoke", manager), "bw.prompt", data)
    )
    assert answer.status_code == 200 and "justification" in answer.text
    assert rig.bus.commands == []


async def test_install_and_first_message_store_conversation_references(rig: TeamsRig) -> None:
    alice = rig.teams.add_member(ALICE, "Alice")
    assert (await rig.driver.post(rig.driver.installed(alice))).status_code == 201
    chat = rig.driver.said(rig.driver.personal("message", alice), "hello")
    assert (await rig.driver.post(chat)).status_code == 201
    team = await rig.refs.get(f"team:{TEAM_ID}")
    personal = await rig.refs.get(f"personal:{ALICE}")
    assert team is not None and team.service_url == rig.teams.service_url
    assert personal is not None and personal.conversation_id == f"a:chat-{ALICE}"
    usage = rig.teams.calls("POST", f"/connector/v3/conversations/a:chat-{ALICE}/activities")
    assert "incident open" in usage[0].body["text"]


async def test_unverifiable_activities_get_401_and_change_nothing(rig: TeamsRig) -> None:
    alice = rig.teams.add_member(ALICE, "Alice")
    said = rig.driver.said(rig.driver.in_team("message", alice), "incident open Forged")
    other_tenant = {**said, "channelData": {**said["channelData"], "tenant": {"id": "evil"}}}
    not_teams = {**said, "channelId": "webchat"}
    for activity in (other_tenant, not_teams):
        assert (await rig.driver.post(activity)).status_code == 401
    assert (await rig.driver.post(said, aud="someone-else")).status_code == 401
    assert (await rig.driver.post(said, expires_in=-3600)).status_code == 401
    assert rig.bus.commands == []
    assert await rig.refs.get(f"user:{ALICE}") is None
    assert (await rig.driver.post(said)).status_code == 201  # the genuine one is taken
    assert len(rig.bus.commands) == 1


async def test_a_slow_click_is_answered_in_time_and_still_runs(gated_rig: TeamsRig) -> None:
    rig = gated_rig
    alice = rig.teams.add_member(ALICE, "Alice")
    data = {"i": "INC-20261201-0001", "a": "aws.iam.deactivate_access_key", "t": "aws:key:1"}
    answer = await rig.driver.post(
        rig.driver.clicked(rig.driver.in_team("invoke", alice), "bw.action", data)
    )
    assert answer.status_code == 200 and "Working on it" in answer.text
    assert rig.bus.commands == []
    assert isinstance(rig.bus, GatedBus)
    rig.bus.gate.set()
    await eventually(lambda: rig.bus.commands)


async def test_handoff_from_the_cards_people_picker(rig: TeamsRig) -> None:
    alice = rig.teams.add_member(ALICE, "Alice")
    data = {"i": "INC-20261201-0001", "to": BOB}
    where = rig.driver.in_team("invoke", alice, channel=CHANNEL)
    assert (await rig.driver.post(rig.driver.clicked(where, "bw.handoff", data))).is_success
    unchosen = rig.driver.clicked(where, "bw.handoff", {"i": "INC-20261201-0001", "to": " "})
    assert (await rig.driver.post(unchosen)).is_success
    assert rig.bus.commands == [
        ProposeHandoff(Actor("teams", ALICE), Actor("teams", BOB), incident_id="INC-20261201-0001")
    ]
