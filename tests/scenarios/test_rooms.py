"""Incident rooms through the production doors (issue 12 §4, §5).

A room is private unless its playbook says public; when Slack cannot create it
the opening stays in the outbox and is retried until the room exists; closing
archives it after the final checkpoint's witness line; a non-production alert
lands in the non-production playbook, where infrastructure commands.
"""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

IC, IAM = "UCOMMANDER1", "UIAMENG01"


def _alert(key_id: str, environment: str = "production") -> dict[str, object]:
    return {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "environment": environment,
        "identity": {"system": "aws", "kind": "access_key", "id": key_id, "owner": "payments"},
    }


async def _declare(blastwall: Blastwall, alert: dict[str, object]) -> str:
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["incident"])


async def test_a_room_slack_refused_to_open_opens_later_private(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    slack.break_method("conversations.create", times=3)  # more than the client retries
    slack.rate_limit("conversations.create", times=2)  # then two rate limits, then success
    incident_id = await _declare(blastwall, _alert("AKIAROOMRETRY0000001"))
    await eventually(lambda: blastwall.evidence_whats(incident_id, "room not opened"))
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    assert channel.is_private
    assert await eventually(lambda: slack.card_in(channel.id))
    whats = await eventually(lambda: blastwall.evidence_whats(incident_id, "room opened"))
    assert whats.count("room opened") == 1
    assert len([c for c in slack.channels.values() if c.name.startswith(incident_id.lower())]) == 1


async def test_closing_archives_the_room_after_the_final_witness_line(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    incident_id = await _declare(blastwall, _alert("AKIAROOMCLOSE0000001"))
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.slash_command(IC, "status resolved false positive", channel_id=channel.id)
    await eventually(lambda: blastwall.evidence_whats(incident_id, "status changed"))
    await driver.slash_command(IC, "status closed done", channel_id=channel.id)
    await eventually(lambda: channel.archived or None)
    entries = await blastwall.evidence(incident_id)
    assert entries[-2]["what"] == "status changed" and entries[-2]["outcome"] == "sealed"
    assert entries[-1]["what"] == "post-incident review written"  # the seal covers it
    witness = [m for m in slack.messages_in(channel.id) if m.text.count(" ") == 2]
    assert witness and str(len(entries)) in witness[-1].text.split(" ")


async def test_a_non_production_alert_goes_to_infrastructure_in_a_public_room(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    incident_id = await _declare(blastwall, _alert("AKIASTAGING000000001", "non-production"))
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    await eventually(lambda: slack.card_in(channel.id))  # the room opens after the 202
    assert not channel.is_private
    declared = (await blastwall.evidence(incident_id))[0]
    assert declared["after"]["playbook"] == "scenario-staging-key"
    assert declared["after"]["environment"] == "non-production"
    assert f"<@{IAM}>" in channel.topic
