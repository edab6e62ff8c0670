"""A vendor-managed account shared with people, through the production doors (issue 12 §5).

Approvers see who containment locks out before they decide; a step only the
vendor can run is requested of them, then confirmed by the commander with the
vendor's reference; the card says accountability stays internal.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, MANAGER
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

ALERT = {
    "source": "nhi-inventory",
    "severity": "SEV2",
    "summary": "payroll integration account used from an unknown host",
    "identity": {
        "system": "aws",
        "kind": "service_account",
        "id": "vendor-svc",
        "shared_with_humans": True,
        "vendor_managed": True,
        "attributes": {"used_by": "bob (support)"},
    },
}


async def test_approvers_see_who_is_locked_out_and_vendor_steps_are_confirmed(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: Any
) -> None:
    iam_admin.create_user(UserName="vendor-svc")
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=ALERT, headers=blastwall.bearer)
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    shown = json.dumps(card.blocks)
    assert "locks out: bob (support), carol (finance)" in shown
    assert "Vendor-managed by Acme Payroll" in shown and "Accountability stays internal" in shown

    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    button = card.button("aws.iam.quarantine_principal")
    await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    dm = await eventually(lambda: slack.prompts_in(f"D{MANAGER}", "approve"))
    assert "locks out: bob (support), carol (finance)" in dm[0].text

    await driver.slash_command(IAM, "vendor request rotate-integration-key", channel_id=channel.id)
    await eventually(
        lambda: [m for m in slack.messages_in(channel.id) if "requested of Acme Payroll" in m.text]
    )
    confirm = "vendor confirm rotate-integration-key ACME-4411"
    await driver.slash_command(IAM, confirm, channel_id=channel.id)
    refused = await eventually(lambda: slack.ephemeral_to(IAM))
    assert "only the incident commander" in refused.text
    await driver.slash_command(IC, confirm, channel_id=channel.id)
    await eventually(lambda: slack.updated_card_mentions(channel.id, "reference ACME-4411"))
    whats = await eventually(lambda: blastwall.evidence_whats(incident_id, "vendor step confirmed"))
    assert whats.count("vendor step requested") == 1 and whats.count("vendor step confirmed") == 1
