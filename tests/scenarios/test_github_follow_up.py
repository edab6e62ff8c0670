"""A GitHub App contained: its private key cannot be rotated through GitHub's API, so
Blastwall posts the rotation as a task in the room and records it with the outcome."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.github_api import GitHubStandIn
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db


async def test_a_contained_app_leaves_a_key_rotation_task(
    blastwall: Blastwall, slack: SlackStandIn, github: GitHubStandIn
) -> None:
    installation = github.add_installation("acme")
    alert = {
        "source": "github-audit-log",
        "severity": "SEV2",
        "summary": "the deploy app pushed to a repository it never touches",
        "identity": {"system": "github", "kind": "app_installation", "id": installation},
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        answer = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    incident = str(answer.json()["incident"])
    channel = await eventually(lambda: slack.channel_named_prefix(incident.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    button = card.button("github.suspend_installation")
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)

    def task() -> str | None:
        said = [m.text for m in slack.messages_in(channel.id) if "Follow-up" in m.text]
        return said[-1] if said else None

    posted = await eventually(task)
    assert "private key" in posted and installation in posted
    assert github.installations[installation]["suspended_at"] is not None
    entries = await blastwall.evidence(incident)
    success = next(e for e in entries if e["what"] == "action succeeded")
    assert "private key" in success["details"]["follow_up"]
    assert all("follow_up" not in e["details"] for e in entries if e is not success)
