"""A compromised AI agent in Kubernetes, through the production doors: an alert on
/alerts, a signed Slack click quarantines its workload in the API server stand-in,
another removes its role bindings, undo lifts the quarantine, and the exported
evidence verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.kube_api import KubeApiStandIn
from tests.fakes.kube_cluster import agent
from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_api import Button, Message, SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db

KUBE_TOKEN = "blastwall-in-cluster-token"
POLICY = "blastwall-quarantine-summarizer"

PLAYBOOK = f"""\
name: scenario-kubernetes-agent
title: Compromised AI agent in Kubernetes
trigger:
  sources: [kubernetes-audit]
  identity:
    systems: [kubernetes]
    kinds: [agent]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  ir.containment: ["slack:{IAM}"]
  iam.policy: ["slack:{IAM}"]
  audit: ["slack:{IC}"]
actions:
  - action: kubernetes.quarantine_workload
    label: Quarantine agent workload
  - action: kubernetes.remove_role_bindings
    label: Remove agent's role bindings
"""

ALERT = {
    "source": "kubernetes-audit",
    "severity": "SEV2",
    "summary": "summarizer agent read secrets across namespaces",
    "identity": {
        "system": "kubernetes",
        "kind": "agent",
        "id": "agents/summarizer",
        "workload": "summarizer",
    },
}


@pytest.fixture
def kube() -> Iterator[KubeApiStandIn]:
    stand_in = KubeApiStandIn(KUBE_TOKEN)
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def blastwall(
    tmp_path: Path, slack: SlackStandIn, kube: KubeApiStandIn, database_url: str
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "kubernetes.yaml").write_text(PLAYBOOK)
    env = base_env(
        BLASTWALL_DATABASE_URL=database_url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN="intake-token-for-tests",
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_K8S_API_URL=kube.url,  # type: ignore[attr-defined]
        BLASTWALL_K8S_TOKEN=KUBE_TOKEN,
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


async def test_contain_an_agent_in_kubernetes_from_slack(
    blastwall: Blastwall, slack: SlackStandIn, kube: KubeApiStandIn, tmp_path: Path
) -> None:
    agent(kube)
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=ALERT, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)

    quarantine = card.button("kubernetes.quarantine_workload")
    await driver.click(IAM, quarantine.value, quarantine.action_id, channel.id, card.ts)
    await eventually(lambda: kube.get("networkpolicies", "agents", POLICY))
    deployment = kube.get("deployments", "agents", "summarizer") or {}
    assert deployment["metadata"]["labels"]["blastwall.io/quarantine"] == "summarizer"
    await eventually(lambda: blastwall.evidence_whats(incident_id, "action succeeded"))

    bindings = card.button("kubernetes.remove_role_bindings")
    await driver.click(IAM, bindings.value, bindings.action_id, channel.id, card.ts)
    await eventually(
        lambda: kube.get("clusterrolebindings", None, "summarizer-secrets") is None or None
    )
    assert kube.get("rolebindings", "agents", "summarizer-reader") is None
    assert kube.get("rolebindings", "ops", "other-reader") is not None

    updated, undo = await eventually(lambda: _undo_button(slack, channel.id, "quarantine"))
    await driver.click(IAM, undo.value, undo.action_id, channel.id, updated.ts)
    await eventually(lambda: kube.get("networkpolicies", "agents", POLICY) is None or None)
    labels = (kube.get("deployments", "agents", "summarizer") or {})["metadata"]["labels"]
    assert "blastwall.io/quarantine" not in labels

    whats = await eventually(lambda: blastwall.evidence_whats(incident_id, "action undone"))
    assert whats.count("action succeeded") == 2
    bundle = tmp_path / "bundle.zip"
    exported = blastwall.export(incident_id, bundle)
    assert exported.returncode == 0, exported.stderr
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr


def _undo_button(
    slack: SlackStandIn, channel_id: str, action: str
) -> tuple[Message, Button] | None:
    card = slack.card_in(channel_id)
    found = [
        b
        for b in (card.buttons() if card else [])
        if b.action_id.startswith("bw.undo.") and action in b.text
    ]
    return (card, found[0]) if card and found else None
