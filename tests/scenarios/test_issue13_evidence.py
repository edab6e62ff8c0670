"""Issue 13's "done means", end to end through the production doors: an alert on
``/alerts`` declares an incident about a leaked AWS key; people talk in its Slack room
(one message edited); CloudTrail (a stand-in) holds three events of the key; the key
is deactivated under approval; the incident is resolved and closed. The exported
bundle verifies, its review cites the key's activity and the transcript by sequence
number with the timeline, the approval and the framework references; the CSV and OCSF
exports carry the same entries; and one changed byte of the review fails verification."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.cloudtrail_api import CloudTrailStandIn
from tests.fakes.servers import ServedApp
from tests.fakes.slack_api import Channel, SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, MANAGER
from tests.scenarios.harness import Blastwall, eventually
from tests.scenarios.test_approval_in_slack import _decide
from tests.scenarios.test_review_in_slack import _write_with_one_byte_changed

pytestmark = pytest.mark.db

ACTIVITY, COLLECTED = "identity activity", "identity activity collected"
SAID = ("channel message", "channel message edited", "channel message deleted")
EVENTS = ("GetCallerIdentity", "ListBuckets", "PutObject")


@pytest.fixture
def cloudtrail() -> Iterator[CloudTrailStandIn]:
    stand_in = CloudTrailStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def scenario_env(cloudtrail: CloudTrailStandIn) -> dict[str, str]:
    return {
        "BLASTWALL_AWS_CLOUDTRAIL": "on",
        "BLASTWALL_AWS_CLOUDTRAIL_ENDPOINT_URL": cloudtrail.url,  # type: ignore[attr-defined]
        "BLASTWALL_ACTIVITY_LOOKBACK": "3600",
    }


def _alert(key_id: str) -> dict[str, object]:
    """Taken by the gated-keys playbook: deactivation needs a manager's approval."""
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
        },
    }


async def _entries(blastwall: Blastwall, incident_id: str, *whats: str) -> list[dict[str, Any]]:
    return [e for e in await blastwall.evidence(incident_id) if e["what"] in whats]


async def _at_least(
    blastwall: Blastwall, incident_id: str, count: int, *whats: str
) -> list[dict[str, Any]]:
    async def found() -> list[dict[str, Any]] | None:
        entries = await _entries(blastwall, incident_id, *whats)
        return entries if len(entries) >= count else None

    return await eventually(found)


async def _closed(blastwall: Blastwall, incident_id: str) -> bool:
    changes = await _entries(blastwall, incident_id, "status changed")
    return any((e["after"] or {}).get("status") == "closed" for e in changes)


async def _converse(
    blastwall: Blastwall, slack: SlackStandIn, driver: SlackDriver, room: Channel, incident: str
) -> list[dict[str, Any]]:
    """Two people talk in the room; the first edits what they said."""
    was = "declared: deploy key in a build log"
    first = slack.say(room.id, IC, was)
    assert (await driver.message(first)).status_code == 200
    reply = slack.say(room.id, IAM, "on it, asking for the deactivation", thread_ts=first.ts)
    assert (await driver.message(reply)).status_code == 200
    await _at_least(blastwall, incident, 2, *SAID)
    slack.edit(first, "declared: CI deploy key in a public build log")
    edited = await driver.message_changed(first, previous_text=was)
    assert edited.status_code == 200
    return await _at_least(blastwall, incident, 3, *SAID)


async def test_issue_13_evidence_end_to_end(
    blastwall: Blastwall, slack: SlackStandIn, cloudtrail: CloudTrailStandIn, tmp_path: Path
) -> None:
    key_id = blastwall.aws_key("evidence-deployer")
    now = datetime.now(UTC)
    for minutes, name in zip((50, 40, 30), EVENTS, strict=True):
        cloudtrail.add_event(name, now - timedelta(minutes=minutes), key_id, "evidence-deployer")
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=_alert(key_id), headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = str(accepted.json()["incident"])
    room = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(room.id))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.slash_command(IC, "ack", channel_id=room.id)
    await eventually(lambda: blastwall.evidence_whats(incident_id, "command acknowledged"))

    said = await _converse(blastwall, slack, driver, room, incident_id)
    assert [e["what"] for e in said] == ["channel message", "channel message", SAID[1]]
    assert said[2]["details"]["original_seq"] == said[0]["seq"]
    (collected,) = await _at_least(blastwall, incident_id, 1, COLLECTED)
    assert collected["details"]["count"] == 3 and collected["details"]["error"] is None
    activity = await _entries(blastwall, incident_id, ACTIVITY)
    assert [e["details"]["event"]["name"] for e in activity] == list(EVENTS)

    button = card.button("aws.iam.deactivate_access_key")
    clicked = await driver.click(IAM, button.value, button.action_id, room.id, card.ts)
    assert clicked.status_code == 200
    await eventually(lambda: slack.prompts_in(f"D{MANAGER}", "approve"))
    assert blastwall.key_status(key_id) == "Active"  # nothing changes before the approval
    await _decide(slack, driver, MANAGER, f"D{MANAGER}", "confirmed with the owner")
    await eventually(lambda: blastwall.key_status(key_id) == "Inactive" or None)
    await eventually(lambda: blastwall.evidence_whats(incident_id, "action verified"))

    await driver.slash_command(IC, "status resolved contained", channel_id=room.id)
    await driver.slash_command(IC, "status closed done", channel_id=room.id)
    await eventually(lambda: _closed(blastwall, incident_id))
    assert blastwall.key_status(key_id) == "Inactive"

    bundle = tmp_path / "bundle.zip"
    exported = blastwall.export(incident_id, bundle)
    assert exported.returncode == 0, exported.stderr
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "review.md and review.html match" in verified.stdout
    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    _assert_review(files["review.md"].decode(), key_id, activity, said)
    _assert_review_html(files["review.html"].decode(), key_id, activity, said)
    _assert_exports(blastwall, incident_id, tmp_path, activity, said)

    tampered = tmp_path / "tampered.zip"
    _write_with_one_byte_changed(files, tampered)
    failed = blastwall.cli("evidence", "verify", str(tampered), "--key", blastwall.public_key)
    assert failed.returncode != 0
    assert "NOT VERIFIED: review.html" in failed.stderr


def _transcript_line(said: list[dict[str, Any]]) -> str:
    """The transcript's summary; its entries cited as runs (``5-6, 11``)."""
    runs: list[list[int]] = []
    for n in (e["seq"] for e in said):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    cited = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return (
        f"Messages: 2; edits: 1; deletions: 0; participants (2): slack:{IC}, slack:{IAM}; "
        f"entries: {cited}."
    )


def _assert_review(
    review: str, key_id: str, activity: list[dict[str, Any]], said: list[dict[str, Any]]
) -> None:
    identity = f"aws:access_key:{key_id}"
    for entry, name in zip(activity, EVENTS, strict=True):
        assert f"- entry {entry['seq']}: {identity}: {name} at " in review
    assert f"{identity} from aws.cloudtrail (declared): 3 events" in review
    assert _transcript_line(said) in review
    assert "Time to acknowledge: " in review and "Time to contain: " in review
    timeline = review.split("## Timeline")[1].split("## Follow-ups")[0]
    assert "not reached" not in timeline  # acknowledged, contained, resolved, closed
    assert f"| nhi.credential-lifecycle | slack:{MANAGER} |" in review  # right, approver
    assert "aws.iam.deactivate_access_key" in review
    frameworks = review.split("## Frameworks")[1].split("## Identity activity")[0]
    assert "NIST CSF 2.0: RS.MA-01 (" in frameworks and "RS.MI-01 (" in frameworks
    assert "OWASP Agentic (ASI): ASI03 (" in frameworks


def _assert_review_html(
    html: str, key_id: str, activity: list[dict[str, Any]], said: list[dict[str, Any]]
) -> None:
    for entry, name in zip(activity, EVENTS, strict=True):
        row = f'<td class="seq">{entry["seq"]}</td><td><code>aws:access_key:{key_id}</code>'
        assert f"{row}</td><td>{name}" in html
    assert _transcript_line(said) in html
    assert "Time to acknowledge<b>" in html and "Time to contain<b>" in html
    assert f"slack:{MANAGER}</td></tr>" in html  # the approver, last column of the action
    assert "RS.MA-01" in html and "ASI03" in html


def _assert_exports(
    blastwall: Blastwall,
    incident_id: str,
    tmp_path: Path,
    activity: list[dict[str, Any]],
    said: list[dict[str, Any]],
) -> None:
    wanted = {e["seq"]: e["what"] for e in [*activity, *said]}
    as_csv, as_ocsf = tmp_path / "ledger.csv", tmp_path / "ledger.jsonl"
    for out, form in ((as_csv, "csv"), (as_ocsf, "ocsf")):
        done = blastwall.cli("evidence", "export", incident_id, "-o", str(out), "--format", form)
        assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.read_text())))
    in_csv = {int(r["seq"]): r for r in rows}
    assert {s: in_csv[s]["what"] for s in wanted} == wanted
    assert all(n in in_csv[e["seq"]]["details"] for e, n in zip(activity, EVENTS, strict=True))
    assert "CI deploy key in a public build log" in in_csv[said[2]["seq"]]["after"]
    events = [json.loads(line) for line in as_ocsf.read_text().splitlines()]
    in_ocsf = {e["metadata"]["sequence"]: e for e in events}
    assert {s: in_ocsf[s]["unmapped"]["blastwall"]["what"] for s in wanted} == wanted
    assert all(in_ocsf[s]["class_uid"] == 2005 for s in wanted)
    assert [e["activity_id"] for e in events].count(3) == 1  # the close
