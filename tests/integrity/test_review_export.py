"""The post-incident review in the exported bundle, and the CSV and OCSF exports,
through the real CLI against the deployment's database.

A bundle of an open incident verifies without a review; once the incident is
resolved and closed, the bundle carries ``review.md`` and ``review.html``, which
``evidence verify`` rebuilds from the entries: one changed byte fails it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.core.actors import Actor
from bot.core.commands import AcknowledgeCommand, ChangeStatus, DeclareIncident
from bot.core.events import IncidentDeclared
from bot.core.evidence import EvidenceRecord, What
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Status
from bot.evidence.bundle import MANIFEST
from bot.evidence.canonical import canonical
from bot.evidence.csv_export import COLUMNS
from tests.integrity.conftest import ALICE, Deployment

pytestmark = pytest.mark.db

KEY = AffectedIdentity(
    "aws",
    IdentityKind.ACCESS_KEY,
    "AKIAEXPORT00000001",
    owner="payments",
    workload="ci-deployer",
    issuing_system="aws-iam",
)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
FORMULA = '=HYPERLINK("http://evil.example")'


async def _declare(deployment: Deployment) -> tuple[str, Actor]:
    events = await deployment.bus.handle(
        DeclareIncident(
            "Key in a ticket",
            "manual",
            ALICE,
            (KEY,),
            playbook="leaked-cloud-access-key",
        )
    )
    incident = next(e.incident_id for e in events if isinstance(e, IncidentDeclared))
    async with deployment.database.uow() as uow:
        found = await uow.incidents.get(incident)
        assert found is not None and found.commander is not None
        commander = found.commander
        for record in (
            EvidenceRecord(
                incident,
                What.CHANNEL_MESSAGE,
                commander,
                found.declared_at,
                details={"ts": "1.0001", "thread_ts": None, "text": f"aws_secret={SECRET}"},
            ),
            EvidenceRecord(
                incident,
                What.IDENTITY_ACTIVITY,
                Actor("blastwall", "system"),
                found.declared_at,
                details={
                    "source": "cloudtrail",
                    "query": KEY.key,
                    "event": {"id": "ev-9", "name": "GetCallerIdentity", "at": "x", "actor": "a"},
                },
            ),
        ):
            await uow.incidents.append_evidence(record)
        await uow.commit()
    await deployment.bus.handle(AcknowledgeCommand(commander, incident))
    return incident, commander


async def _finish(deployment: Deployment, incident: str, commander: Actor) -> None:
    for status in (Status.RESOLVED, Status.CLOSED):
        await deployment.bus.handle(ChangeStatus(commander, status, incident, reason=FORMULA))
    await deployment.anchoring.run()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _repack(files: dict[str, bytes], dest: Path, fix_manifest: bool) -> Path:
    if fix_manifest:
        manifest = json.loads(files[MANIFEST])
        manifest["files"] = {
            n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != MANIFEST
        }
        files[MANIFEST] = canonical(manifest)
    with zipfile.ZipFile(dest, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return dest


def _flip(data: bytes, needle: bytes) -> bytes:
    at = data.index(needle)
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


async def test_an_open_incident_verifies_without_a_review(deployment: Deployment) -> None:
    incident, _ = await _declare(deployment)
    await deployment.anchoring.run()
    assert deployment.cli("evidence", "export", incident, "-o", "open.zip").returncode == 0
    assert not {"review.md", "review.html"} & set(_members(deployment.workdir / "open.zip"))
    verified = deployment.cli("evidence", "verify", "open.zip")
    assert verified.returncode == 0, verified.stderr
    assert "no post-incident review yet" in verified.stdout


async def test_the_review_travels_in_the_bundle_and_a_changed_byte_fails(
    deployment: Deployment, tmp_path: Path
) -> None:
    incident, commander = await _declare(deployment)
    await _finish(deployment, incident, commander)
    exported = deployment.cli("evidence", "export", incident, "-o", "bundle.zip")
    assert exported.returncode == 0, exported.stderr
    verified = deployment.cli("evidence", "verify", "bundle.zip")
    assert verified.returncode == 0, verified.stderr
    assert "review.md and review.html match" in verified.stdout

    files = _members(tmp_path / "bundle.zip")
    entries = [json.loads(line) for line in files["entries.jsonl"].splitlines()]
    reviews = [e for e in entries if e["what"] == What.REVIEW_WRITTEN]
    assert len(reviews) == 2 and reviews[1]["details"]["supersedes"] == reviews[0]["seq"]
    for name in ("review.md", "review.html"):
        digest = hashlib.sha256(files[name]).hexdigest()
        assert reviews[1]["details"]["files"][name] == digest
    markdown = files["review.md"].decode()
    assert "Owner: payments; workload: ci-deployer; issuing system: aws-iam" in markdown
    assert "| commander acknowledged |" in markdown and "Time to acknowledge:" in markdown
    assert "NIST CSF 2.0: DE.AE-02 (" in markdown  # the playbook's refs on status entries
    assert "GetCallerIdentity" in markdown and "Messages: 1;" in markdown
    assert f"{KEY.key} was never contained" in markdown
    html = files["review.html"].decode()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "<style>" in html and "@media print" in html

    changed = dict(files, **{"review.html": _flip(files["review.html"], b"payments")})
    unsealed = _repack(dict(changed), tmp_path / "unsealed.zip", fix_manifest=False)
    failed = deployment.cli("evidence", "verify", str(unsealed))
    assert failed.returncode == 1 and "review.html was changed after export" in failed.stderr

    resealed = _repack(changed, tmp_path / "resealed.zip", fix_manifest=True)
    failed = deployment.cli("evidence", "verify", str(resealed))
    assert failed.returncode == 1
    assert f"review.html does not say what entries 1-{reviews[1]['seq'] - 1} say" in failed.stderr

    dropped = {n: d for n, d in files.items() if not n.startswith("review.")}
    missing = _repack(dropped, tmp_path / "missing.zip", fix_manifest=True)
    failed = deployment.cli("evidence", "verify", str(missing))
    assert failed.returncode == 1 and "review.md is missing" in failed.stderr


async def test_csv_export_is_one_redacted_row_per_entry(
    deployment: Deployment, tmp_path: Path
) -> None:
    incident, commander = await _declare(deployment)
    await _finish(deployment, incident, commander)
    done = deployment.cli("evidence", "export", incident, "-o", "ledger.csv", "--format", "csv")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "ledger.csv").read_bytes().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    stored = await _stored(deployment, incident)
    assert list(rows[0]) == list(COLUMNS)
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in stored]
    assert [r["hash"] for r in rows] == [e["hash"] for e in stored]
    assert SECRET not in text and "[REDACTED:" in text
    status_rows = [r for r in rows if r["what"] == "status changed" and r["why"]]
    assert status_rows and all(r["why"] == "'" + FORMULA for r in status_rows)
    assert "nist_csf:DE.AE-02" in status_rows[0]["frameworks"]
    assert json.loads(rows[0]["after"])["identities"][0]["owner"] == "payments"


async def test_ocsf_export_is_incident_findings_with_the_required_attributes(
    deployment: Deployment, tmp_path: Path
) -> None:
    incident, commander = await _declare(deployment)
    await _finish(deployment, incident, commander)
    done = deployment.cli("evidence", "export", incident, "-o", "ledger.jsonl", "--format", "ocsf")
    assert done.returncode == 0, done.stderr
    events = [json.loads(x) for x in (tmp_path / "ledger.jsonl").read_text().splitlines()]
    stored = await _stored(deployment, incident)
    assert len(events) == len(stored)
    for event, entry in zip(events, stored, strict=True):
        _assert_incident_finding(event, incident)
        assert event["metadata"]["sequence"] == entry["seq"]
        assert event["metadata"]["uid"] == entry["hash"]
    assert [e["activity_id"] for e in events].count(1) == 1 and events[0]["activity_id"] == 1
    closing = next(e for e in events if e["activity_id"] == 3)
    assert closing["status_id"] == 5 and closing["unmapped"]["blastwall"]["after"] == {
        "status": "closed"
    }
    assert events[0]["severity_id"] == 4 and events[0]["status_id"] == 1  # SEV2, New
    assert events[-1]["assignee"]["uid"] == commander.principal
    assert SECRET not in json.dumps(events)


def _assert_incident_finding(event: dict[str, Any], incident: str) -> None:
    """OCSF 1.5.0 Incident Finding: base_event's and the class's required attributes."""
    for required in (
        "activity_id",
        "category_uid",
        "class_uid",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
        "finding_info_list",
        "status_id",
    ):
        assert required in event, required
    assert event["class_uid"] == 2005 and event["category_uid"] == 2
    assert event["type_uid"] == 2005 * 100 + event["activity_id"]
    assert event["activity_id"] in (1, 2, 3) and event["status_id"] in (1, 2, 3, 4, 5)
    assert event["severity_id"] in range(7) and isinstance(event["time"], int)
    assert event["metadata"]["version"] == "1.5.0" and event["metadata"]["product"]["name"]
    assert "incident" in event["metadata"]["profiles"]
    assert event["finding_info_list"][0]["uid"] == incident
    assert "assignee" in event or "assignee_group" in event


async def _stored(deployment: Deployment, incident: str) -> list[dict[str, Any]]:
    async with deployment.database.uow() as uow:
        return [json.loads(x) for x in await uow.incidents.evidence_lines(incident)]
