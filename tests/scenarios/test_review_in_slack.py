"""The post-incident review through Slack: declare by alert, acknowledge, contain under
approval, resolve and close; the checklist lands in the channel, and the exported
bundle's review verifies until one byte of it changes."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.evidence.bundle import MANIFEST
from bot.evidence.canonical import canonical
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, MANAGER
from tests.scenarios.harness import Blastwall, eventually
from tests.scenarios.test_approval_in_slack import _decide

pytestmark = pytest.mark.db


def _alert(key_id: str) -> dict[str, object]:
    return {
        "source": "leak-audit",
        "severity": "SEV2",
        "summary": "deploy key found in a build log",
        "identity": {
            "system": "aws",
            "kind": "access_key",
            "id": key_id,
            "owner": "payments",
            "workload": "ci-deployer",
            "issuing_system": "aws-iam",
        },
    }


async def test_resolving_and_closing_review_the_incident(
    blastwall: Blastwall, slack: SlackStandIn, tmp_path: Path
) -> None:
    key_id = blastwall.aws_key("review-deployer")
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=_alert(key_id), headers=blastwall.bearer)
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.slash_command(IC, "ack", channel_id=channel.id)
    await eventually(lambda: blastwall.evidence_whats(incident_id, "command acknowledged"))

    button = card.button("aws.iam.deactivate_access_key")
    await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    await _decide(slack, driver, MANAGER, f"D{MANAGER}", "confirmed with the owner")
    await eventually(lambda: blastwall.key_status(key_id) == "Inactive" or None)
    await eventually(lambda: blastwall.evidence_whats(incident_id, "status changed"))

    await driver.slash_command(IC, "status resolved contained", channel_id=channel.id)
    checklist = await eventually(lambda: _checklist(slack, channel.id, "resolved"))
    assert f"aws:access_key:{key_id} is contained but not rotated" in checklist
    await driver.slash_command(IC, "status closed", channel_id=channel.id)
    await eventually(lambda: _checklist(slack, channel.id, "closed"))

    entries = await blastwall.evidence(incident_id)
    _assert_frameworks_travel(entries)
    bundle = tmp_path / "bundle.zip"
    exported = blastwall.export(incident_id, bundle)
    assert exported.returncode == 0, exported.stderr
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr
    assert "review.md and review.html match" in verified.stdout

    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    review = files["review.md"].decode()
    assert "Owner: payments; workload: ci-deployer; issuing system: aws-iam" in review
    assert f"| nhi.credential-lifecycle | slack:{MANAGER} |" in review  # right, approver
    assert "Time to acknowledge: " in review and "Time to contain: " in review
    assert "not reached" not in review.split("## Follow-ups")[0]  # every step happened
    assert "NIST CSF 2.0: RS.MA-01 (" in review and "OWASP Agentic (ASI): ASI03 (" in review

    tampered = tmp_path / "tampered.zip"
    _write_with_one_byte_changed(files, tampered)
    failed = blastwall.cli("evidence", "verify", str(tampered), "--key", blastwall.public_key)
    assert failed.returncode == 1
    assert "NOT VERIFIED: review.html does not say what entries" in failed.stderr


def _checklist(slack: SlackStandIn, channel_id: str, status: str) -> str | None:
    said = [m.text for m in slack.messages_in(channel_id) if "Post-incident review" in m.text]
    found = [t for t in said if f"now that it is {status}" in t]
    return found[-1] if found else None


def _assert_frameworks_travel(entries: list[dict[str, Any]]) -> None:
    action = {"nist_csf": ["RS.MI-01"], "owasp_agentic": ["ASI03"]}
    for entry in entries:
        refs = entry["details"].get("frameworks") if entry["details"] else None
        if entry["what"] in ("approval requested", "approval granted", "action succeeded"):
            assert refs is not None and {k: refs[k] for k in action} == action, entry["what"]
        if entry["what"] == "status changed":
            assert refs is not None and refs["nist_csf"] == ["RS.MA-01"]


def _write_with_one_byte_changed(files: dict[str, bytes], dest: Path) -> None:
    """review.html with one byte changed, and a manifest rewritten to match it, so only
    the rebuild of the review from the entries can catch it."""
    html = files["review.html"]
    at = html.index(b"payments")
    files = {**files, "review.html": html[:at] + b"P" + html[at + 1 :]}
    manifest = json.loads(files[MANIFEST])
    manifest["files"] = {
        n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != MANIFEST
    }
    files[MANIFEST] = canonical(manifest)
    with zipfile.ZipFile(dest, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
