"""Rotating a leaked key through signed Slack clicks, against moto and the real OpenBao.

The story: an outsider's click is refused; the holder deactivates the key; a first
rotation fails to deliver (the KV mount is not there yet) and leaves no new key;
with a spare inactive key the user is at AWS's two-key limit, and the rotation
refuses, offering to delete the spare; once deleted, the rotation delivers a new
key to KV v2 and deactivates nothing more; undoing the deactivation is refused
because the key was rotated; the card says "rotated"; the bundle verifies. Then
the new secret, read from OpenBao, is searched for in the SQLite file and its
WAL, the bundle, the log and everything Slack saw: it is nowhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.redaction import Redactor
from bot.evidence.signing import load_or_create_signing_key, redaction_key
from tests.fakes.openbao import ROOT_TOKEN, Bao
from tests.fakes.servers import free_port
from tests.fakes.slack_api import Message, SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, OUTSIDER, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import Blastwall, base_env, eventually
from tests.secrets.test_no_secret_rests import _database_files, _exported, _leaks, _slack_saw

ROTATE, DEACTIVATE = "aws.iam.rotate_access_key", "aws.iam.deactivate_access_key"
DELETE_INACTIVE = "aws.iam.delete_inactive_access_key"


def _playbook(mount: str) -> str:
    return f"""\
name: scenario-rotation
title: Leaked cloud access key, rotated
trigger:
  sources: [github-secret-scanning]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
  audit: ["slack:{IC}"]
actions:
  - action: {DEACTIVATE}
    label: Deactivate key
  - action: {ROTATE}
    label: Rotate key
    params:
      kv_path: "{mount}/nhi/{{owner}}/{{key}}"
  - action: {DELETE_INACTIVE}
    label: Delete inactive key
"""


@pytest.fixture
def mount() -> str:
    return f"rotated-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def blastwall(
    tmp_path: Path,
    slack: SlackStandIn,
    moto_endpoint: str,
    iam_admin: Any,
    openbao: str,
    sqlite_file: Path,
    mount: str,
) -> Iterator[Blastwall]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "rotation.yaml").write_text(_playbook(mount))
    url = f"sqlite+aiosqlite:///{sqlite_file}"
    env = base_env(
        BLASTWALL_DATABASE_URL=url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN="intake-token-for-tests",
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        BLASTWALL_AWS_ENDPOINT_URL=moto_endpoint,
        BLASTWALL_AWS_ACCESS_KEY_ID="testing",
        BLASTWALL_AWS_SECRET_ACCESS_KEY="testing",
        BLASTWALL_VAULT_ADDR=openbao,
        BLASTWALL_VAULT_TOKEN=ROOT_TOKEN,
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",  # type: ignore[attr-defined]
    )
    service = Blastwall(
        workdir=tmp_path,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=iam_admin,
        slack_secret=SLACK_SECRET,
        intake_token="intake-token-for-tests",
        database_url=url,
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()


class Room:
    """The incident channel as a responder sees it, and the clicks they make."""

    def __init__(self, slack: SlackStandIn, driver: SlackDriver, channel: str) -> None:
        self.slack, self.driver, self.channel = slack, driver, channel

    def card(self) -> Message:
        card = self.slack.card_in(self.channel)
        assert card is not None
        return card

    async def click(self, user: str, action: str) -> None:
        card = self.card()
        button = card.button(action)
        answer = await self.driver.click(
            user, button.value, button.action_id, self.channel, card.ts
        )
        assert answer.status_code == 200

    async def told(self, user: str, text: str) -> str:
        def probe() -> str | None:
            found = [e.text for e in self.slack.ephemerals if e.user == user and text in e.text]
            return found[-1] if found else None

        return await eventually(probe)


def _keys(iam: Any, user: str) -> dict[str, str]:
    listed = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


async def _open(blastwall: Blastwall, slack: SlackStandIn, key_id: str) -> tuple[str, Room]:
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id, "owner": "payments"},
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident = str(accepted.json()["incident"])
    channel = await eventually(lambda: slack.channel_named_prefix(incident.lower()))
    await eventually(lambda: slack.card_in(channel.id))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    return incident, Room(slack, driver, channel.id)


async def _settled(blastwall: Blastwall, incident: str, count: int) -> list[dict[str, Any]]:
    """The ledger once ``count`` rotation outcomes are on it."""

    async def probe() -> list[dict[str, Any]] | None:
        entries = await blastwall.evidence(incident)
        outcomes = [
            e
            for e in entries
            if e["what"] in ("action succeeded", "action failed")
            and e["details"].get("action") == ROTATE
        ]
        return entries if len(outcomes) >= count else None

    return await eventually(probe)


async def test_a_leaked_key_is_rotated_and_its_secret_rests_nowhere(
    blastwall: Blastwall,
    slack: SlackStandIn,
    bao: Bao,
    mount: str,
    sqlite_file: Path,
    tmp_path: Path,
) -> None:
    iam, user = blastwall.iam, "ci-deployer"
    old = blastwall.aws_key(user)
    incident, room = await _open(blastwall, slack, old)

    slack.join(room.channel, OUTSIDER)
    await room.click(OUTSIDER, ROTATE)
    assert "nhi.credential-lifecycle" in await room.told(OUTSIDER, "authorization denied")
    await room.click(IAM, DEACTIVATE)
    await eventually(lambda: _keys(iam, user) == {old: "Inactive"} or None)

    await room.click(IAM, ROTATE)  # the KV mount does not exist yet: delivery fails
    failed = await room.told(IAM, "could not deliver")
    assert "deleted again" in failed and _keys(iam, user) == {old: "Inactive"}
    bao("POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}})

    spare = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName=user, AccessKeyId=spare, Status="Inactive")
    await room.click(IAM, ROTATE)
    limit = await room.told(IAM, "two access keys")
    assert "nothing was changed" in limit and f"{spare} is inactive" in limit
    assert DELETE_INACTIVE in limit and room.card().button(DELETE_INACTIVE)
    assert _keys(iam, user) == {old: "Inactive", spare: "Inactive"}
    await room.click(IAM, DELETE_INACTIVE)
    await eventually(lambda: _keys(iam, user) == {old: "Inactive"} or None)

    await room.click(IAM, ROTATE)
    entries = await _settled(blastwall, incident, 3)
    keys = _keys(iam, user)
    new = next(k for k in keys if k != old)
    assert keys == {old: "Inactive", new: "Active"}
    stored = bao("GET", f"{mount}/data/nhi/payments/{old}").json()["data"]
    secret = stored["data"]["secret_access_key"]
    assert stored["data"]["access_key_id"] == new

    success = next(
        e for e in entries if e["what"] == "action succeeded" and e["details"]["action"] == ROTATE
    )
    assert success["details"]["identity_state"] == "rotated"
    assert success["after"]["new_key_id"] == new
    assert success["after"]["kv_path"] == f"{mount}/nhi/payments/{old}"
    assert success["after"]["kv_version"] == stored["metadata"]["version"]
    assert success["after"]["secret_hmac"] == _keyed_hash(blastwall, secret)
    assert await eventually(lambda: slack.updated_card_mentions(room.channel, "(rotated)"))

    undo = next(b for b in room.card().buttons() if b.action_id.startswith("bw.undo."))
    card = room.card()
    await room.driver.click(IAM, undo.value, undo.action_id, room.channel, card.ts)
    refused = await room.told(IAM, "was rotated")
    assert "Not done" in refused and _keys(iam, user)[old] == "Inactive"

    bundle = tmp_path / "bundle.zip"
    assert blastwall.export(incident, bundle).returncode == 0
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr

    needles = [secret]
    leaks = _database_files(sqlite_file, needles)
    leaks += _exported(blastwall, [incident], tmp_path, needles)
    blastwall.stop()
    leaks += _database_files(sqlite_file, needles)
    leaks += _leaks("log", blastwall.log.read_bytes(), needles)
    leaks += _leaks("slack", _slack_saw(slack), needles)
    assert leaks == []


def _keyed_hash(blastwall: Blastwall, secret: str) -> str:
    """The deployment's keyed hash (its redaction key's HMAC) of ``secret``."""
    key = load_or_create_signing_key(Path(blastwall.env["BLASTWALL_SIGNING_KEY"]))
    return Redactor(redaction_key(key)).fingerprint(secret)
