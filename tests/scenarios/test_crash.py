"""Blastwall killed with SIGKILL around a connector call: after restart the reconciler
reads the target and records what happened; the target was changed at most once."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from tests.fakes.github_api import GitHubStandIn
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db


async def _click_and_kill(
    blastwall: Blastwall, slack: SlackStandIn, github: GitHubStandIn, apply_first: bool
) -> tuple[str, str]:
    blastwall.stop()  # a short call lease, so the killed call's lease lapses within a second
    blastwall.env["BLASTWALL_CALL_LEASE"] = "1"
    blastwall.start()
    installation = github.add_installation("acme")
    alert = {
        "source": "github-audit-log",
        "severity": "SEV2",
        "summary": "the deploy app pushed to a repository it never touches",
        "identity": {"system": "github", "kind": "app_installation", "id": installation},
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        incident_id = (await web.post("/alerts", json=alert, headers=blastwall.bearer)).json()[
            "incident"
        ]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    button = card.button("github.suspend_installation")
    hold = github.hold("PUT", f"/app/installations/{installation}/suspended", apply_first)
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    assert await asyncio.to_thread(hold.reached.wait, 30), "the call never reached GitHub"
    assert blastwall.process is not None
    blastwall.process.send_signal(signal.SIGKILL)
    blastwall.process.wait(timeout=20)
    hold.release.set()
    return incident_id, installation


async def _reconciled(blastwall: Blastwall, incident_id: str) -> dict[str, object] | None:
    entries = await blastwall.evidence(incident_id)
    return next((e for e in entries if e["what"] == "action reconciled"), None)


@pytest.mark.parametrize("apply_first", [False, True], ids=["before-the-call", "after-the-call"])
async def test_a_crash_around_the_call_is_reconciled_without_calling_again(
    blastwall: Blastwall, slack: SlackStandIn, github: GitHubStandIn, apply_first: bool
) -> None:
    incident_id, installation = await _click_and_kill(blastwall, slack, github, apply_first)
    suspended = github.installations[installation]["suspended_at"] is not None
    assert suspended is apply_first
    blastwall.env["BLASTWALL_RECONCILE_AFTER"] = "1"  # settle what is over a second old
    await asyncio.sleep(1.1)
    blastwall.start()
    entry = await eventually(lambda: _reconciled(blastwall, incident_id))
    details = entry["details"]
    assert isinstance(details, dict)
    assert details["status"] == ("succeeded" if apply_first else "failed")
    assert "not retried" in str(entry["outcome"]) or apply_first
    puts = [c for c in github.calls if c == ("PUT", f"/app/installations/{installation}/suspended")]
    assert len(puts) == 1, "the connector was called again after the crash"
    whats = [e["what"] for e in await blastwall.evidence(incident_id)]
    assert (
        whats.index("action requested")
        < whats.index("action planned")
        < whats.index("action reconciled")
    )
