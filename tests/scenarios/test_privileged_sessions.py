"""A privileged session abused by an agent, through Slack, against the CyberArk stand-in.

An incident responder (``ir.containment`` only) clicks Terminate and is refused:
nothing changes in CyberArk, the denial is evidence. The PAM engineer (holder of
``pam.session``) suspends the account's sessions and undoes it (they resume), then
terminates every live session of the account with one click: one request, one
outcome listing each session. The exported evidence verifies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.cyberark_api import CyberArkStandIn
from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, OUTSIDER, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db
PAM, IR = IAM, OUTSIDER  # the Slack stand-in's workspace has these users
INTAKE = "intake-token-for-pam"
TERMINATE, SUSPEND = "cyberark.terminate_live_sessions", "cyberark.suspend_live_sessions"
PLAYBOOK = f"""\
name: scenario-privileged-session
title: Privileged session abused by an agent
trigger:
  sources: [cyberark-pta]
  identity:
    systems: [cyberark]
    kinds: [service_account]
default_severity: SEV1
commander:
  user: "slack:{IC}"
groups:
  ir-oncall: ["slack:{IR}"]
  pam-team: ["slack:{PAM}"]
rights:
  ir.containment: ["group:ir-oncall"]
  pam.session: ["group:pam-team"]
  audit: ["slack:{IC}"]
actions:
  - action: {SUSPEND}
    label: Suspend live sessions
  - action: {TERMINATE}
    label: Terminate all live sessions
"""


@pytest.fixture
def pvwa() -> Iterator[CyberArkStandIn]:
    stand_in = CyberArkStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def blastwall(
    tmp_path: Path, slack: SlackStandIn, pvwa: CyberArkStandIn, database_url: str
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "pam.yaml").write_text(PLAYBOOK)
    env = base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN=INTAKE,
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_CYBERARK_URL=pvwa.url,  # type: ignore[attr-defined]
        BLASTWALL_CYBERARK_USERNAME="blastwall-svc",
        BLASTWALL_CYBERARK_PASSWORD="vault-user-password-for-tests",
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",  # type: ignore[attr-defined]
    )
    service = Blastwall(
        workdir=tmp_path,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=None,
        slack_secret=SLACK_SECRET,
        intake_token=INTAKE,
        database_url=database_url,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()


ALERT = {
    "source": "cyberark-pta",
    "severity": "SEV1",
    "summary": "agent-7 runs bulk exports through a PSM session on db01",
    "identity": {
        "system": "cyberark",
        "kind": "service_account",
        "id": "svc-db-admin",
        "attributes": {"address": "db01"},
    },
}


async def test_the_pam_team_cuts_an_agents_privileged_sessions(
    blastwall: Blastwall, slack: SlackStandIn, pvwa: CyberArkStandIn, tmp_path: Path
) -> None:
    sessions = [pvwa.open_session("agent-7", "svc-db-admin", "db01") for _ in range(3)]
    unrelated = pvwa.open_session("alice", "svc-web", "web01")
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=ALERT, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)

    terminate = card.button(TERMINATE)
    await driver.click(IR, terminate.value, terminate.action_id, channel.id, card.ts)
    note = await eventually(lambda: slack.ephemeral_to(IR))
    assert "pam.session" in note.text
    await eventually(lambda: blastwall.evidence_whats(incident_id, "authorization denied"))
    assert pvwa.live("svc-db-admin") == sessions and pvwa.ended == []
    assert not any("/livesessions/" in path.lower() for _, path in pvwa.calls)

    suspend = card.button(SUSPEND)
    await driver.click(PAM, suspend.value, suspend.action_id, channel.id, card.ts)
    await eventually(lambda: sorted(pvwa.suspended()) == sorted(sessions) or None)
    updated = await eventually(lambda: _undo_offered(slack, channel.id))
    undo = next(b for b in updated.buttons() if b.action_id.startswith("bw.undo."))
    await driver.click(PAM, undo.value, undo.action_id, channel.id, updated.ts)
    await eventually(lambda: blastwall.evidence_whats(incident_id, "action undone"))
    assert pvwa.suspended() == []

    await driver.click(PAM, terminate.value, terminate.action_id, channel.id, card.ts)
    await eventually(lambda: pvwa.live("svc-db-admin") == [] or None)
    assert pvwa.ended == sessions and list(pvwa.sessions) == [unrelated]
    entries = await eventually(lambda: _verified(blastwall, incident_id))
    succeeded = [e for e in entries if e["what"] == "action succeeded"]
    terminated = [e for e in succeeded if e["details"]["action"] == TERMINATE]
    assert len(terminated) == 1 and terminated[0]["who"]["user_id"] == PAM
    assert terminated[0]["right"] == "pam.session"
    assert terminated[0]["after"]["sessions"] == [
        {"id": s, "result": "terminated"} for s in sessions
    ]
    denied = next(e for e in entries if e["what"] == "authorization denied")
    assert denied["who"]["user_id"] == IR

    bundle = tmp_path / "bundle.zip"
    exported = blastwall.export(incident_id, bundle)
    assert exported.returncode == 0, exported.stderr
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr


def _undo_offered(slack: SlackStandIn, channel_id: str) -> Any:
    card = slack.card_in(channel_id)
    if card and any(b.action_id.startswith("bw.undo.") for b in card.buttons()):
        return card
    return None


async def _verified(blastwall: Blastwall, incident_id: str) -> list[dict[str, Any]] | None:
    entries = await blastwall.evidence(incident_id)
    done = [e for e in entries if e["what"] == "action verified"]
    return entries if len(done) >= 2 else None
