from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.identities import IdentityKind
from bot.core.incidents import Environment, Severity
from bot.core.roles import Right
from bot.playbooks.loader import PlaybookError, load_playbooks, validate_directory
from bot.playbooks.selection import manual_playbook, select_playbook
from connectors.registry import catalogue

SHIPPED = Path(__file__).resolve().parents[2] / "playbooks"
CATALOGUE = catalogue()

VALID = """\
name: test-book
title: Test
trigger:
  sources: [scanner]
  identity:
    kinds: [access_key]
  min_severity: SEV3
default_severity: SEV2
commander:
  user: "slack:UIC"
groups:
  iam: ["slack:UIAM"]
rights:
  nhi.credential-lifecycle: ["group:iam"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
    frameworks:
      nist_csf: [RS.MI-01]
"""


def test_the_shipped_playbooks_load() -> None:
    playbooks = load_playbooks(SHIPPED, CATALOGUE)
    assert set(playbooks) == {
        "leaked-cloud-access-key",
        "compromised-ai-agent",
        "leaked-github-token",
        "shared-service-account",
        "non-production-credential",
        "compromised-service-principal",
        "leaked-gcp-key",
        "leaked-slack-token",
        "privileged-session-abused-by-agent",
    }
    shared = playbooks["shared-service-account"]
    assert all(a.approval is not None for a in shared.actions)
    assert shared.approval_rule is not None and shared.approval_rule.shared_with_humans
    agent = playbooks["compromised-ai-agent"]
    assert any("ASI03" in a.frameworks.owasp_agentic for a in agent.actions)
    leaked = playbooks["leaked-cloud-access-key"]
    assert "slack:U0EXAMPLE3" in leaked.holders(Right.NHI_CREDENTIAL_LIFECYCLE)
    pam = playbooks["privileged-session-abused-by-agent"]
    assert not pam.holders(Right.PAM_SESSION) & pam.holders(Right.IR_CONTAINMENT)
    assert {a.action_id for a in pam.actions if a.approval} == {"cyberark.terminate_live_sessions"}


def _problems(tmp_path: Path, text: str, name: str = "book.yaml") -> list[str]:
    (tmp_path / name).write_text(text)
    return [str(p) for p in validate_directory(tmp_path, CATALOGUE)]


def test_a_valid_playbook_has_no_problems(tmp_path: Path) -> None:
    assert _problems(tmp_path, VALID) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("title: Test", "title: Test\ncolour: red", "book.yaml:3: colour: Extra inputs"),
        (
            "  min_severity: SEV3",
            "  min_severity: SEV3\n  when: always",
            "book.yaml:8: trigger.when: Extra inputs",
        ),
        ("default_severity: SEV2", "default_severity: SEV9", "book.yaml:8: default_severity:"),
        (
            "  - action: aws.iam.deactivate_access_key",
            "  - action: aws.iam.delete_everything",
            "book.yaml:16: actions[0].action: unknown action 'aws.iam.delete_everything'",
        ),
        ('  iam: ["slack:UIAM"]', '  iam: ["UIAM"]', "book.yaml:12: groups.iam[0]:"),
        (
            '["group:iam"]',
            '["group:nobody"]',
            "book.yaml:14: rights.nhi.credential-lifecycle[0]: group 'nobody' is not defined",
        ),
        ("[RS.MI-01]", "[RS.MITIGATE]", "book.yaml:19: actions[0].frameworks.nist_csf[0]:"),
        (
            '  user: "slack:UIC"',
            '  user: "slack:UIC"\n  rotation: ["slack:UB"]',
            "book.yaml:9: commander: give exactly one of user or rotation",
        ),
        ("title: Test", "title: Test\nroom: {private: maybe}", "book.yaml:3: room.private:"),
        (
            "  min_severity: SEV3",
            "  min_severity: SEV3\n  environments: [staging]",
            "trigger.environments[0]:",
        ),
        (
            "title: Test",
            "title: Test\nvendor: {name: Acme, contact: a@b, steps: [{id: x, label: X}, "
            "{id: x, label: Y}]}",
            "book.yaml:3: vendor: vendor step ids must be unique",
        ),
        (
            "title: Test",
            'title: Test\nknown_users: {"aws:robot:x": ["ann"]}',
            "unknown identity kind in aws:robot:x",
        ),
    ],
    ids=[
        "unknown-top",
        "unknown-nested",
        "severity",
        "action",
        "principal",
        "group",
        "framework",
        "commander",
        "room",
        "environment",
        "vendor-steps",
        "known-users",
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = _problems(tmp_path, VALID.replace(old, new, 1))
    assert any(expected in p for p in problems), problems


def test_yaml_syntax_error_and_duplicates(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID)
    (tmp_path / "c.yaml").write_text("name: [unclosed\n")
    problems = [str(p) for p in validate_directory(tmp_path, CATALOGUE)]
    assert any("c.yaml" in p and "not valid YAML" in p for p in problems)
    assert any("b.yaml" in p and "defined twice" in p for p in problems)
    with pytest.raises(PlaybookError):
        load_playbooks(tmp_path, CATALOGUE)


def test_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert "no playbook" in str(validate_directory(tmp_path, CATALOGUE)[0])


def test_selection_prefers_the_specific_and_respects_severity() -> None:
    playbooks = load_playbooks(SHIPPED, CATALOGUE)
    chosen = select_playbook(
        playbooks, "aws-guardduty", "aws", IdentityKind.ACCESS_KEY, Severity.SEV2
    )
    assert chosen is not None and chosen.name == "leaked-cloud-access-key"
    agent = select_playbook(playbooks, "agent-guardrail", "aws", IdentityKind.AGENT, Severity.SEV1)
    assert agent is not None and agent.name == "compromised-ai-agent"
    assert (
        select_playbook(playbooks, "aws-guardduty", "aws", IdentityKind.ACCESS_KEY, Severity.SEV4)
        is None
    )
    manual = manual_playbook(playbooks)
    assert manual is not None and manual.trigger.manual


def test_a_non_production_alert_goes_to_the_non_production_playbook() -> None:
    playbooks = load_playbooks(SHIPPED, CATALOGUE)
    args = ("aws-guardduty", "aws", IdentityKind.ACCESS_KEY, Severity.SEV2)
    staging = select_playbook(playbooks, *args, Environment.NON_PRODUCTION)
    assert staging is not None and staging.name == "non-production-credential"
    assert staging.room.private and staging.room.archive_on_close
    production = select_playbook(playbooks, *args, Environment.PRODUCTION)
    assert production is not None and production.name == "leaked-cloud-access-key"


def test_the_cli_validates(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot.cli", "playbooks", "validate", str(SHIPPED)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    shutil.copy(SHIPPED / "leaked-cloud-access-key.yaml", tmp_path / "x.yaml")
    (tmp_path / "y.yaml").write_text("name: y\nbogus: 1\n")
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "playbooks", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "y.yaml:2: bogus: Extra inputs are not permitted" in bad.stderr


ROTATION = """\
  - action: aws.iam.rotate_access_key
    label: Rotate key
"""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("", "actions[1]: missing parameter(s) kv_path"),
        ('    params: {kv_path: "secret/nhi/{team}/{key}"}', "unknown field {team}"),
        ('    params: {kv_path: "secret/../{key}"}', "without empty, . or .. segments"),
        ('    params: {kv_path: "secret/nhi/{owner!r}"}', "'kv_path' does not match"),
        ('    params: {kv_path: "secret/nhi/{}"}', "unknown field {}"),
        ('    params: {kv_path: "secret/nhi/{owner}", colour: red}', "unknown parameter 'colour'"),
        ("    params: {kv_path: nhi}", "a path template is MOUNT/PATH"),
    ],
    ids=["missing", "unknown-field", "dot-dot", "conversion", "empty", "unknown-param", "no-mount"],
)
def test_a_rotation_must_name_a_valid_delivery_path(
    tmp_path: Path, params: str, expected: str
) -> None:
    text = VALID + ROTATION + (params + "\n" if params else "")
    problems = _problems(tmp_path, text)
    assert any(expected in p and "book.yaml:" in p for p in problems), problems


def test_a_rotation_path_template_loads() -> None:
    playbooks = load_playbooks(SHIPPED, CATALOGUE)
    rotate = playbooks["leaked-cloud-access-key"].offered("aws.iam.rotate_access_key")
    assert rotate is not None and dict(rotate.params)["kv_path"] == "secret/nhi/{owner}/{key}"
