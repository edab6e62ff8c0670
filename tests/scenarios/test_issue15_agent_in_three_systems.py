"""Issue 15's "done means", end to end through the production doors: one compromised
AI agent holds credentials in three systems (an AWS IAM role in moto, an Entra service
principal, a Kubernetes service account and its workload). Coalescing alerts on
``/alerts`` gather all three into ONE incident under the shipped compromised-ai-agent
playbook; its ONE card offers each identity only its own system's buttons; signed
clicks on that card contain the agent everywhere; each stand-in shows the change, the
ledger holds a verification for each, and the exported bundle verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.aws_iam.policies import QUARANTINE_POLICY, REVOKE_SESSIONS_POLICY
from tests.fakes.entra_api import EntraStandIn
from tests.fakes.kube_api import KubeApiStandIn
from tests.fakes.kube_cluster import agent
from tests.fakes.moto_aws import inline_policy
from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_api import Message, SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, MANAGER, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db

SHIPPED = Path(__file__).parents[2] / "playbooks" / "compromised-ai-agent.yaml"
KUBE_TOKEN = "blastwall-in-cluster-token"
ROLE = "summarizer-agent"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
# The shipped playbook's example people, as the Slack stand-in's users.
PEOPLE = {
    "U0EXAMPLE1": IC,
    "U0EXAMPLE2": IAM,
    "U0EXAMPLE6": IAM,
    "U0EXAMPLE4": MANAGER,
    "U0EXAMPLE5": IC,
}
AWS_ACTIONS = {"aws.iam.revoke_role_sessions", "aws.iam.quarantine_principal"}
K8S_ACTIONS = {
    "kubernetes.quarantine_workload",
    "kubernetes.scale_to_zero",
    "kubernetes.remove_role_bindings",
    "kubernetes.invalidate_service_account_credentials",
}


def _playbook() -> str:
    """The shipped playbook, unchanged but for who its people are."""
    text = SHIPPED.read_text()
    for example, user in PEOPLE.items():
        text = text.replace(example, user)
    assert "U0EXAMPLE" not in text
    return text


@pytest.fixture
def entra() -> Iterator[EntraStandIn]:
    stand_in = EntraStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def kube() -> Iterator[KubeApiStandIn]:
    stand_in = KubeApiStandIn(KUBE_TOKEN)
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


def _env(
    tmp_path: Path, database_url: str, slack: Any, entra: Any, kube: Any, moto: str
) -> dict[str, str]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "compromised-ai-agent.yaml").write_text(_playbook())
    return base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN="intake-token-for-tests",
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_AWS_ENDPOINT_URL=moto,
        BLASTWALL_AWS_ACCESS_KEY_ID="testing",
        BLASTWALL_AWS_SECRET_ACCESS_KEY="testing",
        BLASTWALL_AWS_RATE_PER_S="100",
        BLASTWALL_ENTRA_TENANT_ID=entra.tenant_id,
        BLASTWALL_ENTRA_CLIENT_ID=entra.client_id,
        BLASTWALL_ENTRA_CLIENT_SECRET=entra.client_secret,
        BLASTWALL_ENTRA_LOGIN_URL=entra.url,
        BLASTWALL_ENTRA_GRAPH_URL=f"{entra.url}/v1.0",
        BLASTWALL_K8S_API_URL=kube.url,
        BLASTWALL_K8S_TOKEN=KUBE_TOKEN,
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",
    )


@pytest.fixture
def blastwall(
    tmp_path: Path,
    slack: SlackStandIn,
    entra: EntraStandIn,
    kube: KubeApiStandIn,
    moto_endpoint: str,
    iam_admin: Any,
    database_url: str,
) -> Iterator[Blastwall]:
    service = Blastwall(
        workdir=tmp_path,
        env=_env(tmp_path, database_url, slack, entra, kube, moto_endpoint),
        url=f"http://127.0.0.1:{free_port()}",
        iam=iam_admin,
        slack_secret=SLACK_SECRET,
        intake_token="intake-token-for-tests",
        database_url=database_url,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()


def _alert(source: str, *identities: dict[str, str]) -> dict[str, object]:
    return {
        "source": source,
        "severity": "SEV1",
        "summary": "summarizer agent acting beyond its purpose after a prompt injection",
        "identities": list(identities),
    }


async def _declare(blastwall: Blastwall, *alerts: dict[str, object]) -> str:
    """The first alert declares; each later one joins it through an identity it shares."""
    incidents = []
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        for n, alert in enumerate(alerts):
            accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["coalesced"] is (n > 0)
            incidents.append(accepted.json()["incident"])
    assert len(set(incidents)) == 1
    return str(incidents[0])


def _offered(card: Message) -> dict[str, set[str]]:
    """Per identity key, the actions the card offers it (bulk buttons aside)."""
    offered: dict[str, set[str]] = {}
    for button in card.buttons():
        if button.action_id.startswith("bw.act."):
            value = json.loads(button.value)
            offered.setdefault(value["target"], set()).add(value["action"])
    return offered


def _card_for(slack: SlackStandIn, channel_id: str, keys: set[str]) -> Message | None:
    card = slack.card_in(channel_id)
    return card if card and set(_offered(card)) == keys else None


async def _click(
    driver: SlackDriver, card: Message, channel_id: str, action: str, target: str
) -> None:
    button = next(
        b
        for b in card.buttons()
        if b.action_id.startswith("bw.act.")
        and (json.loads(b.value)["action"], json.loads(b.value)["target"]) == (action, target)
    )
    clicked = await driver.click(IAM, button.value, button.action_id, channel_id, card.ts)
    assert clicked.status_code == 200, clicked.text


async def test_one_card_contains_an_agent_in_aws_entra_and_kubernetes(
    blastwall: Blastwall,
    slack: SlackStandIn,
    entra: EntraStandIn,
    kube: KubeApiStandIn,
    iam_admin: Any,
    tmp_path: Path,
) -> None:
    iam_admin.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    _, principal = entra.add_app("summarizer-agent")
    workload = agent(kube)
    aws = {"system": "aws", "kind": "role", "id": ROLE}
    sp = {"system": "entra", "kind": "agent", "id": principal["id"]}
    k8s = {
        "system": "kubernetes",
        "kind": "agent",
        "id": workload.account_id,
        "workload": workload.deployment,
    }
    incident_id = await _declare(
        blastwall,
        _alert("agent-guardrail", aws),
        _alert("cloudtrail-anomaly", aws, sp),
        _alert("kubernetes-audit", sp, k8s),
    )
    keys = {
        f"aws:role:{ROLE}": "aws",
        f"entra:agent:{principal['id']}": "entra",
        f"kubernetes:agent:{workload.account_id}": "kubernetes",
    }
    room = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: _card_for(slack, room.id, set(keys)))
    by_system = {keys[k]: actions for k, actions in _offered(card).items()}
    assert by_system == {
        "aws": AWS_ACTIONS,
        "entra": {"entra.disable_service_principal"},
        "kubernetes": K8S_ACTIONS,
    }
    assert len([c for c in slack.channels.values() if c.name.startswith("inc-")]) == 1

    clicks = [
        ("aws.iam.revoke_role_sessions", f"aws:role:{ROLE}"),
        ("aws.iam.quarantine_principal", f"aws:role:{ROLE}"),
        ("entra.disable_service_principal", f"entra:agent:{principal['id']}"),
        ("kubernetes.quarantine_workload", f"kubernetes:agent:{workload.account_id}"),
    ]
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    for action, target in clicks:
        await _click(driver, card, room.id, action, target)
    verified = await eventually(lambda: _verified(blastwall, incident_id, len(clicks)))

    assert inline_policy(iam_admin, "role", ROLE, REVOKE_SESSIONS_POLICY) is not None
    assert inline_policy(iam_admin, "role", ROLE, QUARANTINE_POLICY) is not None
    assert principal["accountEnabled"] is False
    assert kube.get(
        "networkpolicies", workload.namespace, f"blastwall-quarantine-{workload.deployment}"
    )
    deployment = kube.get("deployments", workload.namespace, workload.deployment) or {}
    assert deployment["metadata"]["labels"]["blastwall.io/quarantine"] == workload.deployment
    assert sorted(_action_and_target(e) for e in verified) == sorted(clicks)

    bundle = tmp_path / "bundle.zip"
    exported = blastwall.export(incident_id, bundle)
    assert exported.returncode == 0, exported.stderr
    checked = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def _verified(blastwall: Blastwall, incident_id: str, count: int) -> list[dict[str, Any]]:
    found = [e for e in await blastwall.evidence(incident_id) if e["what"] == "action verified"]
    return found if len(found) >= count else []


def _action_and_target(entry: dict[str, Any]) -> tuple[str, str]:
    return (entry["details"]["action"], entry["details"]["target"])
