"""One whole incident through the production doors.

alert -> channel -> commander -> card -> outsider refused -> holder contains
(the key goes Inactive in moto) -> export -> verify -> a tampered bundle fails.
Blastwall runs as ``blastwall serve`` in a subprocess, talking to the Slack
stand-in and a moto server over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

IC, IAM, OUTSIDER = "UCOMMANDER1", "UIAMENG01", "UOUTSIDER1"


def _alert(key_id: str) -> dict[str, object]:
    return {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo <!channel> <@U999> <https://evil|click>",
        "identity": {
            "system": "aws",
            "kind": "access_key",
            "id": key_id,
            "owner": "payments",
            "attributes": {"user": "ci-deployer"},
        },
    }


async def test_alert_to_verified_evidence(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: object, tmp_path: Path
) -> None:
    key_id = blastwall.aws_key("ci-deployer")
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        assert (await web.post("/alerts", json=_alert(key_id))).status_code == 401
        bad = await web.post("/alerts", json={"source": "x"}, headers=blastwall.bearer)
        assert bad.status_code == 422 and "summary" in bad.text
        accepted = await web.post("/alerts", json=_alert(key_id), headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = accepted.json()["incident"]

    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    assert {IC, IAM} <= set(channel.members)
    assert f"<@{IC}>" in channel.topic
    assert any(f"<@{IC}>" in m.text for m in slack.messages_in(channel.id))
    posted = json.dumps([m.blocks for m in slack.messages_in(channel.id)]) + "".join(
        m.text for m in slack.messages_in(channel.id)
    )
    assert "<!channel>" not in posted and "<@U999>" not in posted and "<https://evil" not in posted
    button = card.button("aws.iam.deactivate_access_key")

    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    slack.join(channel.id, OUTSIDER)
    refused = await driver.click(OUTSIDER, button.value, button.action_id, channel.id, card.ts)
    assert refused.status_code == 200
    note = await eventually(lambda: slack.ephemeral_to(OUTSIDER))
    assert "nhi.credential-lifecycle" in note.text
    assert blastwall.key_status(key_id) == "Active"

    first = await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)
    again = await driver.click(
        IAM, button.value, button.action_id, channel.id, card.ts, retry_num=1
    )
    assert first.status_code == again.status_code == 200
    await eventually(lambda: blastwall.key_status(key_id) == "Inactive" or None)
    await eventually(lambda: slack.updated_card_mentions(channel.id, "Inactive"))
    whats = await eventually(lambda: blastwall.evidence_whats(incident_id, "action succeeded"))
    assert whats.count("action succeeded") == 1
    assert whats.count("authorization denied") == 1

    updated = await eventually(lambda: slack.card_in(channel.id))
    undo = next(b for b in updated.buttons() if b.action_id.startswith("bw.undo."))
    await driver.click(IAM, undo.value, undo.action_id, channel.id, updated.ts)
    unsafe = await eventually(lambda: _told(slack, IAM, "rotate"))
    assert "Not done" in unsafe or "failed" in unsafe
    assert blastwall.key_status(key_id) == "Inactive"

    refused_close = await driver.slash_command(IAM, "status closed", channel_id=channel.id)
    assert refused_close.status_code == 200
    await driver.slash_command(IC, "status resolved contained and rotated", channel_id=channel.id)
    await driver.slash_command(IC, "status closed", channel_id=channel.id)
    await eventually(lambda: _closed(slack, channel.id))

    final = [e["what"] for e in await blastwall.evidence(incident_id)]
    assert final.count("status change refused") == 1
    assert final[-2:] == ["status changed", "post-incident review written"]

    bundle = tmp_path / "bundle.zip"
    assert blastwall.cli("evidence", "export", incident_id, "-o", str(bundle)).returncode == 0
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr

    tampered = tmp_path / "tampered.zip"
    _flip_one_byte(bundle, tampered)
    failed = blastwall.cli("evidence", "verify", str(tampered), "--key", blastwall.public_key)
    assert failed.returncode == 1
    assert "NOT VERIFIED" in failed.stderr


def _flip_one_byte(source: Path, dest: Path) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "entries.jsonl":
                data = data.replace(b"UOUTSIDER1", b"UOUTSIDER2", 1)
            zout.writestr(item, data)


def _closed(slack: SlackStandIn, channel_id: str) -> bool | None:
    return slack.updated_card_mentions(channel_id, "closed")


def _told(slack: SlackStandIn, user: str, text: str) -> str | None:
    found = [e.text for e in slack.ephemerals if e.user == user and text in e.text]
    return found[-1] if found else None
