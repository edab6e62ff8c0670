"""Entra ID and Okta containment through the production doors (issue 15).

An alert names an Entra service principal (an AI agent); the holder of
``ir.containment`` clicks "Disable service principal" in Slack and the principal
is disabled in the Graph stand-in. A second alert names an Okta service app; the
click deactivates it in the Okta stand-in. Blastwall runs as ``blastwall serve``
and authenticates to both the way a daemon does (client credentials; a
private-key JWT); each incident's exported evidence verifies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.entra_api import EntraStandIn
from tests.fakes.okta_api import OktaStandIn
from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db

PLAYBOOK = f"""\
name: scenario-service-principal
title: Compromised service principal
trigger:
  sources: [entra-id-protection, okta-system-log]
  identity:
    systems: [entra, okta]
    kinds: [agent, service_account]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  ir.containment: ["slack:{IAM}"]
  audit: ["slack:{IC}"]
actions:
  - action: entra.disable_service_principal
    label: Disable service principal
  - action: okta.deactivate_app
    label: Deactivate service app
"""


@pytest.fixture
def entra() -> Iterator[EntraStandIn]:
    stand_in = EntraStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def okta() -> Iterator[OktaStandIn]:
    stand_in = OktaStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def blastwall(
    tmp_path: Path, slack: SlackStandIn, entra: EntraStandIn, okta: OktaStandIn, database_url: str
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "principal.yaml").write_text(PLAYBOOK)
    service_app = okta.service_app()
    (tmp_path / "okta.pem").write_text(service_app.private_key_pem)
    env = base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN="intake-token-for-tests",
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_ENTRA_TENANT_ID=entra.tenant_id,
        BLASTWALL_ENTRA_CLIENT_ID=entra.client_id,
        BLASTWALL_ENTRA_CLIENT_SECRET=entra.client_secret,
        BLASTWALL_ENTRA_LOGIN_URL=entra.url,  # type: ignore[attr-defined]
        BLASTWALL_ENTRA_GRAPH_URL=f"{entra.url}/v1.0",  # type: ignore[attr-defined]
        BLASTWALL_OKTA_ORG_URL=okta.url,  # type: ignore[attr-defined]
        BLASTWALL_OKTA_CLIENT_ID=service_app.client_id,
        BLASTWALL_OKTA_PRIVATE_KEY=str(tmp_path / "okta.pem"),
        BLASTWALL_OKTA_KEY_ID=service_app.kid,
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
    blastwall: Blastwall, slack: SlackStandIn, alert: dict[str, Any], action: str
) -> str:
    """Alert -> channel -> card -> the holder's click -> the action succeeded."""
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = str(accepted.json()["incident"])
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    button = card.button(action)
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    clicked = await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    assert clicked.status_code == 200
    await eventually(lambda: blastwall.evidence_whats(incident_id, "action succeeded"))
    return incident_id


def _alert(system: str, kind: str, external_id: str, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "severity": "SEV2",
        "summary": f"{system} workload identity used from an unknown network",
        "identity": {"system": system, "kind": kind, "id": external_id},
    }


async def test_entra_and_okta_identities_are_contained_from_slack(
    blastwall: Blastwall,
    slack: SlackStandIn,
    entra: EntraStandIn,
    okta: OktaStandIn,
    tmp_path: Path,
) -> None:
    _, principal = entra.add_app("payments-agent")
    alert = _alert("entra", "agent", principal["id"], "entra-id-protection")
    entra_incident = await _contain(blastwall, slack, alert, "entra.disable_service_principal")
    assert principal["accountEnabled"] is False
    assert entra.graph_calls("PATCH") == [f"/v1.0/servicePrincipals/{principal['id']}"]

    app_id = okta.add_app("nightly-sync")
    alert = _alert("okta", "service_account", app_id, "okta-system-log")
    okta_incident = await _contain(blastwall, slack, alert, "okta.deactivate_app")
    assert okta.apps[app_id]["status"] == "INACTIVE"

    for incident_id in (entra_incident, okta_incident):
        entries = await blastwall.evidence(incident_id)
        planned = next(e for e in entries if e["what"] == "action planned")
        assert planned["after"] in ({"account_enabled": False}, {"status": "INACTIVE"})
        assert entra.client_secret not in json.dumps(entries)
        bundle = tmp_path / f"{incident_id}.zip"
        assert blastwall.export(incident_id, bundle).returncode == 0
        verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
        assert verified.returncode == 0, verified.stderr
