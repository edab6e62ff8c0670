"""The README's production layout: two ``blastwall serve`` processes on one
database (PostgreSQL in the CI's second run) behind a round-robin proxy, and
one incident driven through the proxy from alert to contained key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.fakes.round_robin import RoundRobin
from tests.fakes.servers import free_port
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

IC, IAM = "UCOMMANDER1", "UIAMENG01"


async def test_two_replicas_behind_a_proxy_contain_one_incident(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: object, tmp_path: Path
) -> None:
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    second = replace(blastwall, workdir=second_dir, url=f"http://127.0.0.1:{free_port()}")
    second.start()
    try:
        with RoundRobin([blastwall.url, second.url]) as proxy:
            await _one_incident(proxy, blastwall, slack)
            served = dict(proxy.served)
    finally:
        second.stop()
    assert served[blastwall.url] >= 2 and served[second.url] >= 2, served


async def _one_incident(proxy: RoundRobin, blastwall: Blastwall, slack: SlackStandIn) -> None:
    key_id = blastwall.aws_key("proxied-deployer")
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }
    async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as web:
        for _ in range(2):  # both replicas are ready
            assert (await web.get("/readyz")).json() == {"status": "ready"}
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
        assert accepted.status_code == 202, accepted.text
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    driver = SlackDriver(proxy.url, blastwall.slack_secret)
    assert (await driver.slash_command(IC, "ack", channel_id=channel.id)).status_code == 200
    button = card.button("aws.iam.deactivate_access_key")
    clicked = await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    assert clicked.status_code == 200
    await eventually(lambda: blastwall.key_status(key_id) == "Inactive" or None)
    whats = await eventually(lambda: blastwall.evidence_whats(incident_id, "action succeeded"))
    assert "command acknowledged" in whats
