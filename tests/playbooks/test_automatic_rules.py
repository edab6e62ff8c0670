"""``blastwall playbooks validate`` on automatic rules: the condition language is closed,
and what no guard rail could make safe never loads as automatic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.incidents import Environment, Severity
from bot.playbooks.loader import load_playbooks
from connectors.registry import catalogue

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"

BOOK = """\
name: auto-book
title: Automatic
environment: non-production
trigger:
  sources: [scanner]
  identity:
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "slack:UIC"
rights:
  nhi.credential-lifecycle: ["slack:UIAM"]
actions:
  - action: ACTION
    label: Contain
    automatic:
      when:
        severity_at_least: SEV2
        sources: [scanner]
      max_targets: 2
      environments: [non-production]
"""


def _validate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "book.yaml").write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "playbooks", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_valid_rule_loads(tmp_path: Path) -> None:
    text = BOOK.replace("ACTION", "aws.iam.deactivate_access_key")
    assert _validate(tmp_path, text).returncode == 0
    (offered,) = load_playbooks(tmp_path, catalogue())["auto-book"].actions
    assert offered.automatic is not None
    assert offered.automatic.when.severity_at_least is Severity.SEV2
    assert offered.automatic.environments == {Environment.NON_PRODUCTION}
    assert offered.automatic.unless_shared_with_humans


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "        sources: [scanner]\n",
            "        sources: [scanner]\n        colour: red\n",
            "book.yaml:17: actions[0].automatic.when: unknown condition 'colour' "
            "(known: severity_at_least, sources, identity_kinds, systems)",
        ),
        ("severity_at_least: SEV2", "severity_at_least: SEV9", "actions[0].automatic.when"),
        ("max_targets: 2", "max_targets: 0", "actions[0].automatic.max_targets"),
        ("environments: [non-production]", "environments: []", "automatic.environments"),
        ("      max_targets: 2\n", "", "actions[0].automatic.max_targets: Field required"),
        (
            "aws.iam.deactivate_access_key",
            "aws.iam.delete_access_key",
            "aws.iam.delete_access_key is irreversible: it never runs automatically",
        ),
        (
            "    label: Contain\n",
            "    label: Contain\n    approval:\n      approvers: 1\n",
            "an action a person must approve never runs automatically",
        ),
        ("environment: non-production\n", "automatic_enabled: maybe\n", "automatic_enabled"),
    ],
)
def test_a_bad_rule_is_refused_with_its_place(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = BOOK.replace("ACTION", "aws.iam.deactivate_access_key")
    assert old in text
    refused = _validate(tmp_path, text.replace(old, new))
    assert refused.returncode == 1
    assert expected in refused.stderr, refused.stderr


def test_the_shipped_non_production_playbook_deactivates_automatically() -> None:
    book = load_playbooks(SHIPPED, catalogue())["non-production-credential"]
    assert book.automatic_enabled
    ((offered, rule),) = book.automatic_rules()
    assert offered.action_id == "aws.iam.deactivate_access_key"
    assert rule.environments == {Environment.NON_PRODUCTION}
    assert rule.unless_shared_with_humans and rule.max_targets == 3
    quarantine = book.offered("aws.iam.quarantine_principal")
    assert quarantine is not None and quarantine.automatic is None
