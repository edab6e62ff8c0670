"""Replays and other workspaces against ``blastwall serve``, with real signatures."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from bot.storage.database import make_engine
from bot.storage.models import IncidentRow
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

IC, IAM = "UCOMMANDER1", "UIAMENG01"


def _witness_line(method: str, args: dict[str, Any]) -> bool:
    """A checkpoint posted into the channel: ``<origin>/<incident> <size> <root>``."""
    text = str(args.get("text", ""))
    return method == "chat.postMessage" and re.search(r"\S+/INC-\S+ \d+ \S{44}", text) is not None


async def _incidents(blastwall: Blastwall) -> int:
    engine = make_engine(blastwall.database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count(IncidentRow.id)))).scalar_one())
    finally:
        await engine.dispose()


async def test_a_replayed_slash_command_declares_once(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    body = urlencode(
        {
            "team_id": "T0TEST",
            "user_id": IC,
            "command": "/incident",
            "text": "open Leaked deploy key",
            "channel_id": "CGENERAL",
            "response_url": f"{slack.url}/response_url/one",  # type: ignore[attr-defined]
            "trigger_id": "1.trigger",
        }
    ).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": SlackDriver(blastwall.url, blastwall.slack_secret).sign(body, stamp),
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        first = await web.post("/slack/events", content=body, headers=headers)
        await eventually(lambda: slack.channel_named_prefix("inc-"))
        replay = await web.post("/slack/events", content=body, headers=headers)
    assert first.status_code == replay.status_code == 200
    assert await _incidents(blastwall) == 1
    assert "ignored a replayed Slack request" in blastwall.log.read_text()
    assert "SLACK_TEAM_ID and SLACK_ENTERPRISE_ID are unset" in blastwall.log.read_text()


async def test_a_click_from_another_workspace_is_refused_and_recorded(
    blastwall: Blastwall, slack: SlackStandIn
) -> None:
    blastwall.stop()
    blastwall.env["SLACK_TEAM_ID"] = "T0TEST"
    blastwall.start()
    key_id = blastwall.aws_key("ci-deployer")
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id, "owner": "payments"},
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    button = card.button("aws.iam.deactivate_access_key")
    calls_before = len(slack.received)

    foreign = SlackDriver(blastwall.url, blastwall.slack_secret, team_id="T0ELSEWHERE")
    refused = await foreign.click(IAM, button.value, button.action_id, channel.id, card.ts)

    assert refused.status_code == 403
    whats = await eventually(lambda: blastwall.evidence_whats(incident_id, "request refused"))
    assert "action requested" not in whats
    (entry,) = [e for e in await blastwall.evidence(incident_id) if e["what"] == "request refused"]
    assert entry["who"]["user_id"] == IAM and "T0ELSEWHERE" in entry["why"]
    assert blastwall.key_status(key_id) == "Active"
    # The anchoring pass may post a signed checkpoint meanwhile; nothing else may reach Slack.
    after = [(m, a) for m, a in slack.received[calls_before:] if not _witness_line(m, a)]
    assert after == []
    starts = blastwall.log.read_text().count("serving Slack and the console")
    warnings = blastwall.log.read_text().count("SLACK_TEAM_ID and SLACK_ENTERPRISE_ID are unset")
    assert (starts, warnings) == (2, 1)  # the pinned start does not warn
