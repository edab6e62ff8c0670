"""deploy/permissions: the policies Blastwall's own credentials need, checked
against the calls the connectors make (derived from their source, so a new call
without a policy change fails here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PERMISSIONS = ROOT / "deploy" / "permissions"


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _iam_calls() -> set[str]:
    """Every boto3 IAM client call in connectors/aws_iam, as an IAM action."""
    source = "\n".join(p.read_text() for p in (ROOT / "connectors" / "aws_iam").glob("*.py"))
    return {f"iam:{_camel(name)}" for name in re.findall(r"\bc\.([a-z]+(?:_[a-z]+)+)\(", source)}


def test_the_iam_policy_is_valid_json_and_allows_every_call_the_connector_makes() -> None:
    policy = json.loads((PERMISSIONS / "aws-iam-policy.json").read_text())
    assert policy["Version"] == "2012-10-17"
    allowed: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"]
        allowed |= set(statement["Action"])
    calls = _iam_calls()
    assert len(calls) >= 10, calls  # the derivation found the calls
    assert calls <= allowed, sorted(calls - allowed)
    assert "cloudtrail:LookupEvents" in allowed  # connectors/aws_iam/cloudtrail.py
    assert not any(a.endswith("*") for a in allowed)  # least privilege: no wildcards


def _hcl_paths(text: str) -> dict[str, list[str]]:
    """``path "x" { capabilities = [...] }`` blocks; anything else is not allowed."""
    body = re.sub(r"#[^\n]*", "", text)
    blocks = re.findall(r'path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}', body)
    assert re.sub(r'path\s+"[^"]+"\s*\{[^}]*\}', "", body).strip() == "", "stray HCL"
    return {path: re.findall(r'"([a-z]+)"', caps) for path, caps in blocks}


def _covers(pattern: str, path: str) -> bool:
    regex = re.escape(pattern).replace(r"\+", "[^/]+").replace(r"\*", ".*")
    return re.fullmatch(regex, path) is not None


def _vault_calls() -> set[str]:
    """The literal paths connectors/vault calls, placeholders as one segment."""
    source = "\n".join(p.read_text() for p in (ROOT / "connectors" / "vault").glob("*.py"))
    found = re.findall(r'\.call\(\s*"(?:GET|POST|PUT|DELETE|LIST)",\s*f?"([^"]+)"', source)
    return {re.sub(r"\{[^}]+\}", "x", path).rstrip("/") or path for path in found}


def test_the_vault_policy_is_hcl_and_covers_every_path_the_connector_calls() -> None:
    paths = _hcl_paths((PERMISSIONS / "vault-policy.hcl").read_text())
    known = {"create", "read", "update", "delete", "list", "sudo", "deny", "patch"}
    assert all(set(caps) <= known and caps for caps in paths.values())
    calls = _vault_calls()
    assert len(calls) >= 8, calls
    uncovered = [c for c in calls if not any(_covers(p, c) for p in paths)]
    assert not uncovered, uncovered


def test_the_github_app_permissions_name_every_endpoint_the_connector_calls() -> None:
    listed = json.loads((PERMISSIONS / "github-app-permissions.json").read_text())["calls"]
    source = "\n".join(p.read_text() for p in (ROOT / "connectors" / "github").glob("*.py"))
    called = re.findall(r'f?"((?:app|orgs|repos|credentials)/[^"]*)"', source)
    used = {_shape(path) for path in called}
    documented = {_shape(key.split(" ", 1)[1]) for key in listed}
    assert used <= documented, sorted(used - documented)


def _shape(path: str) -> str:
    """A path with its placeholders (one or more segments) and query taken out."""
    bare = re.sub(r"\{[^}]+\}|\?.*", "", path)
    return re.sub(r"/+", "/", bare).strip("/")
