"""Signed requests to /slack/events become commands; forged ones change nothing."""

from __future__ import annotations

import json

from bot.adapters.slack.payloads import encode_action
from bot.core.actors import Actor
from bot.core.commands import DeclareIncident, RequestAction
from tests.adapters.conftest import SlackRig
from tests.scenarios.harness import eventually


async def test_a_forged_signature_is_refused(rig: SlackRig) -> None:
    response = await rig.driver.slash_command("UALICE0001", "open Leak", forge=True)
    assert response.status_code == 401
    assert rig.bus.commands == []


async def test_a_stale_timestamp_is_refused(rig: SlackRig) -> None:
    response = await rig.driver.slash_command("UALICE0001", "open Leak", skew_s=-301)
    assert response.status_code == 401
    assert rig.bus.commands == []


async def test_incident_open_declares_with_the_verified_user(rig: SlackRig) -> None:
    response = await rig.driver.slash_command("UALICE0001", "open Leaked <!channel> key")
    assert response.status_code == 200
    (command,) = await eventually(lambda: rig.bus.commands)
    assert command == DeclareIncident(
        title="Leaked <!channel> key", source="manual", declared_by=Actor("slack", "UALICE0001")
    )


async def test_unknown_subcommand_gets_usage(rig: SlackRig) -> None:
    await rig.driver.slash_command("UALICE0001", "dance")
    reply = await eventually(lambda: rig.stand_in.responses)
    assert "Usage" in reply[0]["text"]
    assert rig.bus.commands == []


async def test_bare_command_opens_the_form_and_submitting_declares(rig: SlackRig) -> None:
    trigger = rig.stand_in.issue_trigger()
    await rig.driver.slash_command("UALICE0001", "", trigger_id=trigger)
    (view,) = await eventually(lambda: rig.stand_in.views)
    assert view["callback_id"] == "bw.declare"
    empty = await rig.driver.view_submission(
        "UBOB000001", "bw.declare", {"title": {"title": {"value": " "}}}
    )
    assert empty.json()["response_action"] == "errors"
    await rig.driver.view_submission(
        "UBOB000001",
        "bw.declare",
        {
            "title": {"title": {"value": "Agent gone rogue"}},
            "summary": {"summary": {"value": "it deleted a bucket"}},
        },
    )
    (command,) = await eventually(lambda: rig.bus.commands)
    assert isinstance(command, DeclareIncident)
    assert (command.title, command.summary, command.declared_by) == (
        "Agent gone rogue",
        "it deleted a bucket",
        Actor("slack", "UBOB000001"),
    )


async def test_a_click_names_the_user_from_the_signed_payload(rig: SlackRig) -> None:
    value = encode_action(
        "INC-20261122-0001", "aws.iam.deactivate_access_key", "aws:access_key:AKIAEXAMPLE"
    )
    response = await rig.driver.click("UBOB000001", value, "bw.act.0", "C1", "1.1")
    assert response.status_code == 200
    (command,) = await eventually(lambda: rig.bus.commands)
    assert command == RequestAction(
        "INC-20261122-0001",
        "aws.iam.deactivate_access_key",
        "aws:access_key:AKIAEXAMPLE",
        Actor("slack", "UBOB000001"),
    )


async def test_a_button_value_reads_plainly_and_an_older_card_still_works(rig: SlackRig) -> None:
    value = encode_action("INC-20261122-0001", "a", "t")
    assert json.loads(value) == {"incident": "INC-20261122-0001", "action": "a", "target": "t"}
    older = json.dumps({"i": "INC-20261122-0001", "a": "b", "t": "t"})  # one-letter keys
    response = await rig.driver.click("UBOB000001", older, "bw.act.0", "C1", "1.1")
    assert response.status_code == 200
    (command,) = await eventually(lambda: rig.bus.commands)
    assert isinstance(command, RequestAction) and command.action_id == "b"


async def test_a_malformed_button_is_ignored(rig: SlackRig) -> None:
    response = await rig.driver.click("UBOB000001", '{"i": 1}', "bw.act.0", "C1", "1.1")
    assert response.status_code == 200
    value = encode_action("INC-20261122-0001", "a", "t")
    await rig.driver.click("UBOB000001", value, "bw.act.0", "C1", "1.1")
    (command,) = await eventually(lambda: rig.bus.commands)
    assert isinstance(command, RequestAction) and command.action_id == "a"
