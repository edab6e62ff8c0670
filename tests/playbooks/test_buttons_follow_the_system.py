"""A playbook that spans systems (compromised-ai-agent: AWS, Vault, Entra ID and
Kubernetes agents) offers each identity only the buttons of its own system: an AWS
agent role gets no Kubernetes or Entra button, and a click that names one anyway is
refused before any connector is called."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.core.actors import Actor
from bot.core.cards import build_card
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Incident, Severity
from bot.playbooks.loader import load_playbooks
from connectors.registry import catalogue

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"


def _incident(*identities: AffectedIdentity) -> Incident:
    return Incident(
        id="INC-20261201-0001",
        title="agent",
        severity=Severity.SEV1,
        environment=Environment.PRODUCTION,
        playbook="compromised-ai-agent",
        declared_at=datetime(2026, 12, 1, tzinfo=UTC),
        declared_by=Actor("slack", "U0EXAMPLE1"),
        identities=list(identities),
    )


def test_each_identity_gets_only_its_systems_buttons() -> None:
    specs = catalogue()
    playbook = load_playbooks(PLAYBOOKS, specs)["compromised-ai-agent"]
    aws = AffectedIdentity("aws", IdentityKind.AGENT, "arn:aws:iam::123456789012:role/agent")
    kube = AffectedIdentity("kubernetes", IdentityKind.AGENT, "agents/planner")
    card = build_card(_incident(aws, kube), playbook, specs)
    by_target: dict[str, set[str]] = {}
    for button in card.buttons:
        by_target.setdefault(button.target_key, set()).add(button.action_id)
    assert by_target[aws.key]
    assert all(a.startswith("aws.iam.") for a in by_target[aws.key]), by_target[aws.key]
    assert by_target[kube.key]
    assert all(a.startswith("kubernetes.") for a in by_target[kube.key]), by_target[kube.key]


def test_a_spec_without_a_system_fits_any() -> None:
    spec = catalogue()["aws.iam.quarantine_principal"]
    agent = AffectedIdentity("entra", IdentityKind.AGENT, "sp-1")
    assert not spec.fits(agent)
    assert replace(spec, system="").fits(agent)
