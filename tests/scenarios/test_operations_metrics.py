"""``/metrics`` after one incident through the production doors: the service's
histograms (time to acknowledge, time to contain, click-to-ack, connector call
latency by system and outcome) and the outbox's backlog gauges, scraped from a
running ``blastwall serve``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

IC, IAM = "UCOMMANDER1", "UIAMENG01"


def _count(metrics: str, name: str, labels: str = "") -> float:
    """The ``_count`` sample of histogram ``name`` whose labels include ``labels``."""
    total = 0.0
    for match in re.finditer(rf"^{name}_count(\{{[^}}]*\}})? (\S+)$", metrics, re.M):
        if labels in (match.group(1) or ""):
            total += float(match.group(2))
    return total


async def test_one_incident_fills_the_histograms(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: object, tmp_path: Path
) -> None:
    key_id = blastwall.aws_key("metrics-deployer")
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
        incident_id = accepted.json()["incident"]
        channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
        card = await eventually(lambda: slack.card_in(channel.id))
        driver = SlackDriver(blastwall.url, blastwall.slack_secret)
        await driver.slash_command(IC, "ack", channel_id=channel.id)
        await eventually(lambda: blastwall.evidence_whats(incident_id, "command acknowledged"))
        button = card.button("aws.iam.deactivate_access_key")
        clicked = await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
        assert clicked.status_code == 200
        await eventually(lambda: blastwall.evidence_whats(incident_id, "action succeeded"))
        metrics = (await web.get("/metrics")).text

    assert _count(metrics, "blastwall_time_to_acknowledge_seconds") >= 1
    contained = 'action="aws.iam.deactivate_access_key"'
    assert _count(metrics, "blastwall_time_to_contain_seconds", contained) == 1
    assert _count(metrics, "blastwall_click_to_ack_seconds", 'platform="slack"') >= 1
    apply_ok = 'call="apply",outcome="ok",system="aws_iam"'
    assert _count(metrics, "blastwall_connector_call_seconds", apply_ok) == 1
    assert _count(metrics, "blastwall_connector_call_seconds", 'call="plan"') >= 1
    assert re.search(r"^blastwall_outbox_backlog \d", metrics, re.M)
    assert re.search(r"^blastwall_outbox_oldest_age_seconds \d", metrics, re.M)

    exported = blastwall.export(incident_id, tmp_path / "bundle.zip")
    assert exported.returncode == 0, exported.stderr
    assert "INFO" not in exported.stderr and "alembic" not in exported.stderr
