"""A leaked Google Cloud key and a leaked Slack token, each contained by a signed Slack
click: alert -> channel -> card -> click -> the target changes in its stand-in ->
the evidence bundle verifies. Blastwall runs as ``blastwall serve`` in a subprocess."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from tests.fakes.gcp_api import GcpStandIn
from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_admin_api import SlackAdminStandIn
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db

PLAYBOOK = f"""\
name: scenario-{{system}}
title: Leaked {{system}} credential
trigger:
  sources: [secret-scanner]
  identity:
    systems: [{{system}}]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  ir.containment: ["slack:{IAM}"]
  nhi.credential-lifecycle: ["slack:{IAM}"]
  audit: ["slack:{IC}"]
actions:
  - action: {{action}}
    label: Contain
"""


@pytest.fixture
def google() -> Iterator[tuple[GcpStandIn, str]]:
    stand_in = GcpStandIn()
    with ServedApp(stand_in.app) as served:
        yield stand_in, served.url


@pytest.fixture
def slack_admin() -> Iterator[tuple[SlackAdminStandIn, str]]:
    stand_in = SlackAdminStandIn()
    with ServedApp(stand_in.app) as served:
        yield stand_in, f"{served.url}/api/"


@pytest.fixture
def blastwall(
    tmp_path: Path,
    slack: SlackStandIn,
    google: tuple[GcpStandIn, str],
    slack_admin: tuple[SlackAdminStandIn, str],
    database_url: str,
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    for system, action in (("gcp", "gcp.iam.disable_key"), ("slack", "slack.revoke_token")):
        text = PLAYBOOK.replace("{system}", system).replace("{action}", action)
        (playbooks / f"{system}.yaml").write_text(text)
    (tmp_path / "gcp-sa.json").write_text(google[0].key_file())
    env = base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN="intake-token-for-tests",
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_GCP_CREDENTIALS=str(tmp_path / "gcp-sa.json"),
        BLASTWALL_GCP_TOKEN_URL=f"{google[1]}/token",
        BLASTWALL_GCP_IAM_URL=google[1],
        BLASTWALL_GCP_CRM_URL=google[1],
        BLASTWALL_SLACK_ADMIN_API_URL=slack_admin[1],
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
        intake_token="intake-token-for-tests",
        database_url=database_url,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()


async def _contain(
    blastwall: Blastwall, slack: SlackStandIn, identity: Mapping[str, object], action: str
) -> str:
    """Declare by alert, click the action as its right's holder; the incident id."""
    alert = {
        "source": "secret-scanner",
        "severity": "SEV2",
        "summary": "a credential was pushed to a public repository",
        "identity": identity,
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident = str(accepted.json()["incident"])
    channel = await eventually(lambda: slack.channel_named_prefix(incident.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    button = card.button(action)
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    clicked = await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    assert clicked.status_code == 200
    await eventually(lambda: blastwall.evidence_whats(incident, "action succeeded"))
    return incident


def _verified(blastwall: Blastwall, incident: str, bundle: Path) -> None:
    exported = blastwall.export(incident, bundle)
    assert exported.returncode == 0, exported.stderr
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr


async def test_a_leaked_gcp_key_is_disabled_from_slack(
    blastwall: Blastwall, slack: SlackStandIn, google: tuple[GcpStandIn, str], tmp_path: Path
) -> None:
    stand_in, _ = google
    email = stand_in.add_account("payments-prod", "ci-deployer")
    name = stand_in.add_key(email)
    identity = {"system": "gcp", "kind": "access_key", "id": name, "owner": "payments"}
    incident = await _contain(blastwall, slack, identity, "gcp.iam.disable_key")
    assert stand_in.keys[name.rsplit("/", 1)[1]]["disabled"]
    assert stand_in.calls.count(("POST", f"/v1/{name}:disable")) == 1
    entries = await blastwall.evidence(incident)
    success = next(e for e in entries if e["what"] == "action succeeded")
    assert "disabled" in json.dumps(success)
    _verified(blastwall, incident, tmp_path / "gcp.zip")


async def test_a_leaked_slack_token_is_revoked_with_itself(
    blastwall: Blastwall,
    slack: SlackStandIn,
    slack_admin: tuple[SlackAdminStandIn, str],
    tmp_path: Path,
) -> None:
    stand_in, _ = slack_admin
    token = stand_in.issue_bot_token()
    identity = {
        "system": "slack",
        "kind": "token",
        "id": "deploy-bot-token",
        "attributes": {"credential": token},
    }
    incident = await _contain(blastwall, slack, identity, "slack.revoke_token")
    assert not stand_in.live(token)
    assert ("auth.revoke", token) in stand_in.calls
    stored = json.dumps(await blastwall.evidence(incident))
    assert token not in stored and token not in blastwall.log.read_text()
    bundle = tmp_path / "slack.zip"
    _verified(blastwall, incident, bundle)
    with zipfile.ZipFile(bundle) as opened:
        assert all(token.encode() not in opened.read(n) for n in opened.namelist())
