"""The one list of connectors: playbooks offer only registered actions, every built
connector offers exactly what its entry registers, and connectors import only the core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.core.actions import ActionSpec
from connectors import registry
from connectors.aws_iam.specs import SPECS as AWS_SPECS
from connectors.vault.specs import CONNECTOR as VAULT
from tests.fakes.gcp_api import GcpStandIn
from tests.fakes.github_api import GitHubStandIn

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml"))


def _unseal(sealed: str) -> str:
    return sealed


def _everything_configured(tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "github-app.pem"
    key.write_text(GitHubStandIn().private_key_pem())
    gcp_key = tmp_path / "gcp-sa.json"
    gcp_key.write_text(GcpStandIn().key_file())
    return {
        "BLASTWALL_AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "BLASTWALL_AWS_ACCESS_KEY_ID": "testing",
        "BLASTWALL_AWS_SECRET_ACCESS_KEY": "testing",
        "BLASTWALL_VAULT_ADDR": "http://127.0.0.1:9",
        "BLASTWALL_VAULT_TOKEN": "root",
        "BLASTWALL_GITHUB_APP_ID": "424242",
        "BLASTWALL_GITHUB_APP_PRIVATE_KEY": str(key),
        "BLASTWALL_GITHUB_API_URL": "http://127.0.0.1:9",
        "BLASTWALL_ENTRA_TENANT_ID": "contoso",
        "BLASTWALL_ENTRA_CLIENT_ID": "blastwall",
        "BLASTWALL_ENTRA_CLIENT_SECRET": "not-a-real-secret",
        "BLASTWALL_ENTRA_LOGIN_URL": "http://127.0.0.1:9",
        "BLASTWALL_ENTRA_GRAPH_URL": "http://127.0.0.1:9/v1.0",
        "BLASTWALL_OKTA_ORG_URL": "http://127.0.0.1:9",
        "BLASTWALL_OKTA_CLIENT_ID": "0oablastwall",
        "BLASTWALL_OKTA_PRIVATE_KEY": str(key),
        "BLASTWALL_K8S_API_URL": "http://127.0.0.1:9",
        "BLASTWALL_K8S_TOKEN": "kube-token",
        "BLASTWALL_GCP_CREDENTIALS": str(gcp_key),
        "BLASTWALL_GCP_TOKEN_URL": "http://127.0.0.1:9/token",
        "BLASTWALL_GCP_IAM_URL": "http://127.0.0.1:9",
        "BLASTWALL_GCP_CRM_URL": "http://127.0.0.1:9",
        "BLASTWALL_SLACK_ADMIN_API_URL": "http://127.0.0.1:9/api/",
        "BLASTWALL_CYBERARK_URL": "http://127.0.0.1:9",
        "BLASTWALL_CYBERARK_USERNAME": "blastwall-svc",
        "BLASTWALL_CYBERARK_PASSWORD": "vault-user-password",
    }


def _registered(system: str) -> dict[str, ActionSpec]:
    return {i: s for i, s in registry.catalogue().items() if s.connector == system}


@pytest.mark.parametrize("path", PLAYBOOKS, ids=[p.name for p in PLAYBOOKS])
def test_every_shipped_playbook_offers_only_registered_actions(path: Path) -> None:
    offered = {entry["action"] for entry in YAML(typ="safe").load(path)["actions"]}
    assert offered and offered <= set(registry.catalogue())


def test_validation_knows_every_action_without_any_connector_configured() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "playbooks", "validate", str(ROOT / "playbooks")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


def test_listing_the_catalogue_loads_no_client_library() -> None:
    probe = (
        "import sys; from connectors.registry import catalogue; catalogue(); "
        "print(sorted({'boto3', 'botocore', 'httpx'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_each_built_connector_offers_exactly_its_catalogue_entries(tmp_path: Path) -> None:
    built = registry.build_connectors(_everything_configured(tmp_path), _unseal)
    assert set(built) == {system.name for system in registry.SYSTEMS}
    for name, connector in built.items():
        assert connector.name == name
        assert {s.id: s for s in connector.specs()} == _registered(name)
    assert sum(len(c.specs()) for c in built.values()) == len(registry.catalogue())


def test_an_unconfigured_system_is_not_built_but_its_actions_stay_in_the_catalogue() -> None:
    built = registry.build_connectors({}, _unseal)
    assert set(built) == {"aws_iam"}
    assert _registered(VAULT) and _registered("github")


def test_a_connector_that_disagrees_with_its_entry_is_refused(tmp_path: Path) -> None:
    aws = registry.build_connectors(_everything_configured(tmp_path), _unseal)["aws_iam"]
    as_vault = registry.System(VAULT, AWS_SPECS, lambda wiring: aws)
    with pytest.raises(registry.RegistryMismatch, match="registered as 'vault'"):
        registry.checked(as_vault, aws)
    fewer = registry.System("aws_iam", AWS_SPECS[:-1], lambda wiring: aws)
    with pytest.raises(registry.RegistryMismatch):
        registry.checked(fewer, aws)


def _outside_core(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    return [m for m in modules if m.split(".")[0] == "bot" and not m.startswith("bot.core")]


def test_connectors_import_only_the_core_of_the_bot() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "connectors").rglob("*.py"))
        if (found := _outside_core(path))
    }
    assert offenders == {}
