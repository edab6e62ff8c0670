"""A gated action through Slack: the requester cannot approve it; a manager approves
from a direct message, with a justification modal, and only then does AWS change."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.aws_iam.policies import QUARANTINE_POLICY
from tests.fakes.moto_aws import inline_policy
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, MANAGER
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db


async def _decide(
    slack: SlackStandIn, driver: SlackDriver, user: str, channel: str, reason: str
) -> None:
    """Click Approve in ``channel``, then submit the modal it opens."""
    prompt = (await eventually(lambda: slack.prompts_in(channel, "approve")))[-1]
    button = prompt.prompt_button("approve")
    trigger = slack.issue_trigger()
    views_before = len(slack.views)
    await driver.click(user, button.value, button.action_id, channel, prompt.ts, trigger_id=trigger)
    view = (await eventually(lambda: slack.views[views_before:]))[0]
    assert view["callback_id"] == "bw.decide"
    await driver.view_submission(
        user,
        "bw.decide",
        {"reason": {"reason": {"value": reason}}},
        private_metadata=view["private_metadata"],
    )


async def test_a_manager_approves_from_a_direct_message(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: Any
) -> None:
    iam_admin.create_user(UserName="shared-svc")
    alert = {
        "source": "nhi-inventory",
        "severity": "SEV2",
        "summary": "shared account used from an unknown agent",
        "identity": {
            "system": "aws",
            "kind": "service_account",
            "id": "shared-svc",
            "shared_with_humans": True,
        },
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    button = card.button("aws.iam.quarantine_principal")
    await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)

    dm = await eventually(lambda: slack.prompts_in(f"D{MANAGER}", "approve"))
    assert "quarantine" in dm[0].text
    assert "Would change quarantine_policy -&gt; BlastwallQuarantine" in dm[0].text
    assert inline_policy(iam_admin, "user", "shared-svc", QUARANTINE_POLICY) is None

    await _decide(slack, driver, IAM, channel.id, "I asked for it")
    refusal = await eventually(lambda: slack.ephemeral_to(IAM))
    assert "requester cannot approve" in refusal.text
    assert inline_policy(iam_admin, "user", "shared-svc", QUARANTINE_POLICY) is None

    await _decide(slack, driver, MANAGER, f"D{MANAGER}", "confirmed with the owner")
    await eventually(lambda: inline_policy(iam_admin, "user", "shared-svc", QUARANTINE_POLICY))
    entries = await eventually(lambda: _settled(blastwall, incident_id))
    whats = [e["what"] for e in entries]
    assert whats.count("approval refused") == 1 and whats.count("approval granted") == 1
    succeeded = next(e for e in entries if e["what"] == "action succeeded")
    assert succeeded["details"]["approvals"] == [
        next(e for e in entries if e["what"] == "approval granted")["details"]["approval"]
    ]
    assert json.dumps(entries).count("confirmed with the owner") == 1


async def _settled(blastwall: Blastwall, incident_id: str) -> list[dict[str, Any]] | None:
    entries = await blastwall.evidence(incident_id)
    return entries if any(e["what"] == "action succeeded" for e in entries) else None
