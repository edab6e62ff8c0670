"""Declaring and shaping an incident by hand, through signed Slack requests (issue 12 §3).

The form names the playbook, severity, environment and identity, so the card has
its buttons at once; identities join later by slash command or the card's form;
the commander alone regrades severity; ``@Blastwall open`` declares too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

IC, IAM, OUTSIDER = "UCOMMANDER1", "UIAMENG01", "UOUTSIDER1"


def _incident_of(channel_name: str) -> str:
    return "-".join(channel_name.split("-")[:3]).upper()


def _form(kind: str, key_id: str) -> dict[str, dict[str, Any]]:
    def chosen(value: str) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value}}

    return {
        "playbook": {"playbook": chosen("scenario-leaked-key")},
        "severity": {"severity": chosen("SEV1")},
        "environment": {"environment": chosen("production")},
        "title": {"title": {"value": "Deploy key in a pastebin"}},
        "summary": {"summary": {"value": "seen by a colleague"}},
        "system": {"system": {"value": "aws"}},
        "kind": {"kind": chosen(kind)},
        "external_id": {"external_id": {"value": key_id}},
        "owner": {"owner": {"value": "payments"}},
    }


async def _declare(blastwall: Blastwall, slack: SlackStandIn, driver: SlackDriver) -> Any:
    trigger = slack.issue_trigger()
    await driver.slash_command(IAM, "", trigger_id=trigger)
    view = (await eventually(lambda: slack.views))[-1]
    choices = [
        o["value"]
        for b in view["blocks"]
        if b.get("block_id") == "playbook"
        for o in b["element"]["options"]
    ]
    assert choices == ["scenario-leaked-key"]  # the only playbook allowing manual declaration
    wrong = await driver.view_submission(IAM, "bw.declare", _form("token", "ghp_x"))
    assert wrong.json()["response_action"] == "errors" and "kind" in wrong.json()["errors"]
    ok = await driver.view_submission(IAM, "bw.declare", _form("access_key", "AKIAHAND00000000001"))
    assert ok.status_code == 200
    return await eventually(lambda: slack.channel_named_prefix("inc-"))


async def test_the_form_declares_in_the_chosen_playbook_with_its_identity(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    channel = await _declare(blastwall, slack, driver)
    card = await eventually(lambda: slack.card_in(channel.id))
    assert "AKIAHAND00000000001" in card.button("aws.iam.deactivate_access_key").value
    declared = (await blastwall.evidence(_incident_of(channel.name)))[0]
    assert declared["after"]["playbook"] == "scenario-leaked-key"
    assert declared["after"]["severity"] == "SEV1"
    assert declared["after"]["identities"][0]["owner"] == "payments"


async def test_identities_join_by_slash_command_and_by_the_card(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    channel = await _declare(blastwall, slack, driver)
    card = await eventually(lambda: slack.card_in(channel.id))
    slack.join(channel.id, OUTSIDER)
    await driver.slash_command(
        OUTSIDER, "identity add aws access_key AKIANOPE", channel_id=channel.id
    )
    refused = await eventually(lambda: slack.ephemeral_to(OUTSIDER))
    assert "responder" in refused.text
    await driver.slash_command(
        IC, "identity add aws access_key AKIASECOND0000000001", channel_id=channel.id
    )
    await eventually(lambda: slack.updated_card_mentions(channel.id, "AKIASECOND0000000001"))

    trigger = slack.issue_trigger()
    add = next(b for b in card.buttons() if b.action_id == "bw.cmd.identity")
    await driver.click(IAM, add.value, add.action_id, channel.id, card.ts, trigger_id=trigger)
    view = await eventually(lambda: [v for v in slack.views if v["callback_id"] == "bw.identity"])
    form: dict[str, dict[str, Any]] = {
        "system": {"system": {"value": "aws"}},
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "access_key"}}},
        "external_id": {"external_id": {"value": "AKIATHIRD00000000001"}},
        "owner": {"owner": {"value": None}},
    }
    await driver.view_submission(
        IAM, "bw.identity", form, private_metadata=view[0]["private_metadata"]
    )
    await eventually(lambda: slack.updated_card_mentions(channel.id, "AKIATHIRD00000000001"))


async def test_only_the_commander_regrades_severity_and_it_is_recorded(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.mention(IAM, "open Token in a build log")
    channel = await eventually(lambda: slack.channel_named_prefix("inc-"))
    incident_id = _incident_of(channel.name)
    await driver.slash_command(IAM, "severity SEV1 looks bad", channel_id=channel.id)
    refused = await eventually(lambda: slack.ephemeral_to(IAM))
    assert "commander" in refused.text
    await driver.slash_command(IC, "severity SEV4 test key, never deployed", channel_id=channel.id)
    said = await eventually(
        lambda: [m for m in slack.messages_in(channel.id) if "Severity changed to SEV4" in m.text]
    )
    assert "test key, never deployed" in said[0].text
    entries = await blastwall.evidence(incident_id)
    whats = [e["what"] for e in entries]
    assert "severity change refused" in whats
    changed = next(e for e in entries if e["what"] == "severity changed")
    assert changed["after"] == {"severity": "SEV4"} and changed["why"] == "test key, never deployed"
