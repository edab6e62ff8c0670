"""One whole incident in Microsoft Teams, through /api/messages and /alerts.

Blastwall runs as ``blastwall serve`` in a subprocess with Teams configured (and
no Slack). The Teams stand-in plays OpenID metadata, JWKS, the token endpoint,
the Bot Connector and Graph; every inbound activity carries a bearer JWT minted
with the stand-in's key, so botframework-connector's real validation runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.servers import ServedApp, free_port
from tests.fakes.teams_driver import TeamsDriver
from tests.fakes.teams_service import (
    APP_ID,
    BARE_KID,
    ISSUER,
    OTHER_KID,
    TEAM_ID,
    TENANT_ID,
    Member,
    TeamsStandIn,
)
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db

IC_AAD = "0c5e6f1a-1111-4c1d-9f00-00000000c0de"
IAM_AAD = "0c5e6f1a-2222-4c1d-9f00-0000000001a3"
OUTSIDER_AAD = "0c5e6f1a-3333-4c1d-9f00-0000000000b5"
MANAGER_AAD = "0c5e6f1a-4444-4c1d-9f00-000000000a99"

PLAYBOOK = f"""\
name: teams-leaked-key
title: Leaked cloud access key
trigger:
  sources: [github-secret-scanning]
  manual: true
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "teams:{IC_AAD}"
rights:
  nhi.credential-lifecycle: ["teams:{IAM_AAD}"]
  approve: ["teams:{MANAGER_AAD}"]
  audit: ["teams:{IC_AAD}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
    approval:
      approvers: 1
      ttl_minutes: 30
escalation:
  commander_not_acknowledged:
    - after_minutes: 0
      notify: ["teams:{MANAGER_AAD}"]
      end: offer_command
"""


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    stand_in = TeamsStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url
        yield stand_in


@pytest.fixture
def blastwall(
    tmp_path: Path, teams: TeamsStandIn, moto_endpoint: str, iam_admin: Any, database_url: str
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "leaked.yaml").write_text(PLAYBOOK)
    env = base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN="intake-token-for-tests",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_AWS_ENDPOINT_URL=moto_endpoint,
        BLASTWALL_AWS_ACCESS_KEY_ID="testing",
        BLASTWALL_AWS_SECRET_ACCESS_KEY="testing",
        BLASTWALL_AWS_RATE_PER_S="100",
        TEAMS_APP_ID=APP_ID,
        TEAMS_APP_PASSWORD="teams-client-secret-for-tests",
        TEAMS_TENANT_ID=TENANT_ID,
        TEAMS_TEAM_ID=TEAM_ID,
        BLASTWALL_TEAMS_OPENID_METADATA_URL=f"{teams.url}/openid/.well-known/openidconfiguration",
        BLASTWALL_TEAMS_TOKEN_ISSUER=ISSUER,
        BLASTWALL_TEAMS_LOGIN_URL=f"{teams.url}/login",
        BLASTWALL_GRAPH_URL=f"{teams.url}/graph",
    )
    service = Blastwall(
        workdir=tmp_path,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=iam_admin,
        slack_secret="",
        intake_token="intake-token-for-tests",
        database_url=database_url,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()


def _alert(key_id: str) -> dict[str, object]:
    return {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed <at>Everyone</at> <b>bold</b>",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }


def _posted_to(teams: TeamsStandIn, channel: str) -> list[dict[str, Any]]:
    return [
        r.body["activity"]
        for r in teams.calls("POST", "/connector/v3/conversations")
        if r.path == "/connector/v3/conversations"
        and r.body.get("channelData", {}).get("channel", {}).get("id") == channel
    ]


def _card_action(activity: dict[str, Any], verb: str) -> dict[str, Any] | None:
    for attachment in activity.get("attachments", []):
        for block in attachment["content"]["body"]:
            for action in block.get("actions", []):
                if action.get("verb") == verb:
                    return dict(action["data"])
    return None


def _prompt_in_chat(teams: TeamsStandIn, member: Member, kind: str) -> dict[str, Any] | None:
    for activity in _in_chat(teams, member):
        for attachment in activity.get("attachments", []):
            for block in attachment["content"]["body"]:
                for action in block.get("actions", []):
                    if action.get("data", {}).get("k") == kind:
                        return dict(action["data"])
    return None


def _in_chat(teams: TeamsStandIn, member: Member) -> list[dict[str, Any]]:
    path = f"/connector/v3/conversations/a:chat-{member.aad}/activities"
    return [r.body for r in teams.calls("POST", path)]


async def test_teams_incident_from_alert_to_verified_evidence(
    blastwall: Blastwall, teams: TeamsStandIn, tmp_path: Path
) -> None:
    ic = teams.add_member(IC_AAD, "Ida Commander")
    manager = teams.add_member(MANAGER_AAD, "Mia Manager")
    driver = TeamsDriver(blastwall.url, teams)

    await _forged_tokens_get_401(driver, teams, ic)
    assert (await driver.post(driver.installed(ic))).status_code == 201
    assert (await driver.post(driver.said(driver.personal("message", manager), "hi"))).status_code
    await eventually(lambda: _in_chat(teams, manager))  # the usage reply: the chat is known

    key_id = blastwall.aws_key("ci-deployer")
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=_alert(key_id), headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = accepted.json()["incident"]
    channel, card = await _channel_with_commander(blastwall, teams, incident_id)

    button = _card_action(card, "bw.action")
    assert button is not None
    await _clicks_need_rights_and_approval(blastwall, driver, channel, button, key_id)
    approve = await _approved_from_chat(driver, manager)
    await eventually(lambda: blastwall.key_status(key_id) == "Inactive" or None)

    whats = await eventually(lambda: blastwall.evidence_whats(incident_id, "action succeeded"))
    assert whats.count("action succeeded") == 1
    assert whats.count("authorization denied") == 1
    entries = await blastwall.evidence(incident_id)
    granted = next(e for e in entries if e["what"] == "approval granted")
    assert granted["who"]["user_id"] == MANAGER_AAD and "public repo" in granted["why"]
    assert approve["h"] in json.dumps(granted)  # the justification is bound to the plan hash

    bundle = tmp_path / "bundle.zip"
    exported = blastwall.cli("evidence", "export", incident_id, "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr


async def _channel_with_commander(
    blastwall: Blastwall, teams: TeamsStandIn, incident_id: str
) -> tuple[str, dict[str, Any]]:
    """A private channel named from the id alone; the commander really mentioned;
    no alert text able to mention or mark up anything. Returns (channel, card)."""
    created = await eventually(teams.channels)
    assert created[0].body["displayName"] == f"Incident {incident_id}"
    assert len(created[0].body["displayName"]) <= 50
    assert created[0].body["membershipType"] == "private"
    members = json.dumps(created[0].body["members"])
    assert IC_AAD in members and IAM_AAD in members and '"owner"' in members
    channel = await eventually(lambda: _channel_id(blastwall, incident_id))
    card = await eventually(
        lambda: next((a for a in _posted_to(teams, channel) if a.get("attachments")), None)
    )
    assert "graph.microsoft.com/users" in json.dumps(card)  # handoff: Teams' people picker
    named = next(a for a in _posted_to(teams, channel) if "commander" in a.get("text", ""))
    assert "<at>Ida Commander</at>" in named["text"]
    assert named["entities"][0]["mentioned"]["id"] == IC_AAD
    everything = json.dumps([r.body for r in teams.received if r.body])
    assert "<at>Everyone</at>" not in everything and "<b>bold" not in everything
    return channel, card


async def _clicks_need_rights_and_approval(
    blastwall: Blastwall, driver: TeamsDriver, channel: str, button: dict[str, Any], key_id: str
) -> None:
    """The outsider is refused in their own copy of the card; the right holder's click
    (and its retry) asks for approval once."""
    outsider = driver.teams.add_member(OUTSIDER_AAD, "Otto Outsider")
    iam = driver.teams.add_member(IAM_AAD, "Ian Iam")
    where = driver.in_team("invoke", outsider, channel=channel)
    refused = await driver.post(driver.clicked(where, "bw.action", button))
    assert refused.status_code == 200
    assert "nhi.credential-lifecycle" in json.dumps(refused.json()["value"])
    assert "<at>Ida Commander</at>" in json.dumps(refused.json()["value"])
    assert blastwall.key_status(key_id) == "Active"

    click = driver.clicked(driver.in_team("invoke", iam, channel=channel), "bw.action", button)
    first = await driver.post(click)
    again = await driver.post(click)  # a retried invoke
    assert first.status_code == again.status_code == 200
    assert "approval" in json.dumps(first.json()["value"])
    assert "already requested" in json.dumps(again.json()["value"])
    assert blastwall.key_status(key_id) == "Active"


async def _approved_from_chat(driver: TeamsDriver, manager: Member) -> dict[str, Any]:
    """The approver finds the card in their 1:1 chat and approves with a justification."""
    approve = await eventually(lambda: _prompt_in_chat(driver.teams, manager, "approve"))
    assert approve["h"]
    decided = driver.clicked(
        driver.personal("invoke", manager),
        "bw.prompt",
        {**approve, "reason": "Key is in a public repo; customer impact accepted"},
    )
    answer = await driver.post(decided)
    assert answer.status_code == 200, answer.text
    return approve


async def test_declare_escalate_and_hand_off_in_teams(
    blastwall: Blastwall, teams: TeamsStandIn
) -> None:
    """Typed in the team: declare; the escalation notice reaches a 1:1 chat, and
    command moves only when the person offered it accepts."""
    ic = teams.add_member(IC_AAD, "Ida Commander")
    iam = teams.add_member(IAM_AAD, "Ian Iam")
    manager = teams.add_member(MANAGER_AAD, "Mia Manager")
    driver = TeamsDriver(blastwall.url, teams)
    for person in (iam, manager):  # each opens the 1:1 chat once
        assert (await driver.post(driver.said(driver.personal("message", person), "hi"))).is_success
    said = driver.said(driver.in_team("message", iam), "incident open Token <at>All</at> leak")
    assert (await driver.post(said)).status_code == 201
    created = await eventually(teams.channels)
    assert created[0].body["displayName"].startswith("Incident ")
    assert "All" not in created[0].body["displayName"]
    incident_id = created[0].body["displayName"].removeprefix("Incident ")
    channel = await eventually(lambda: _channel_id(blastwall, incident_id))

    # The commander does not acknowledge: the escalation notice reaches the manager's
    # 1:1 chat (through the outbox), offering command; accepting moves it.
    accept = await eventually(lambda: _prompt_in_chat(teams, manager, "accept_command"))
    assert accept["i"] == incident_id
    stolen = driver.clicked(driver.personal("invoke", ic), "bw.prompt", accept)
    refused = await driver.post(stolen)  # the offer is the manager's, not anyone's
    assert refused.status_code == 200 and "Not done" in refused.text
    clicked = driver.clicked(driver.personal("invoke", manager), "bw.prompt", accept)
    assert (await driver.post(clicked)).status_code == 200
    await eventually(lambda: blastwall.evidence_whats(incident_id, "commander handed over"))
    named = await eventually(
        lambda: [
            a for a in _posted_to(teams, channel) if "<at>Mia Manager</at>" in a.get("text", "")
        ]
    )
    assert named[-1]["entities"][0]["mentioned"]["id"] == MANAGER_AAD


def _channel_id(blastwall: Blastwall, incident_id: str) -> Any:
    async def probe() -> str | None:
        for entry in await blastwall.evidence(incident_id):
            if entry["what"] == "room opened":
                return str(entry["after"]["room_id"])
        return None

    return probe()


async def _forged_tokens_get_401(driver: TeamsDriver, teams: TeamsStandIn, ic: Member) -> None:
    said = driver.said(driver.in_team("message", ic), "incident open Forged")
    forged: list[dict[str, Any]] = [
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"expires_in": -3600},
        {"service_url": "https://evil.example/connector/"},
        {"kid": OTHER_KID},  # a key endorsed for another channel only
        {"kid": BARE_KID},  # a key endorsed for nothing
    ]
    for claims in forged:
        answer = await driver.post(said, **claims)
        assert answer.status_code == 401, (claims, answer.text)
    assert (await driver.post(said, token="")).status_code == 401
    assert (await driver.post(said, token="not-a-jwt")).status_code == 401
    assert not teams.calls("POST", "/graph/") and not teams.calls("POST", "/connector/")
