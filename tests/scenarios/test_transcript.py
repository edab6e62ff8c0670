"""The channel's transcript through the production doors (issue 13): people's messages
in an incident's room, their edits and deletions, become ledger entries once each,
live through ``/slack/events`` and read back on start after downtime."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.servers import free_port
from tests.fakes.slack_api import Channel, Message, SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, IC, SLACK_SECRET, SLACK_TOKEN
from tests.scenarios.harness import Blastwall, base_env, eventually
from tests.secrets.seeds import AWS

pytestmark = pytest.mark.db
TEAM = "T0TEST"
INTAKE = "intake-token-for-transcripts"
SECRET_KEY = AWS[4]  # a made-up secret the redactor knows by its name
SAID = ("channel message", "channel message edited", "channel message deleted")
PLAYBOOK = f"""\
name: transcript-leaked-key
title: Leaked cloud access key
trigger:
  sources: [github-secret-scanning]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  audit: ["slack:{IC}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
"""


def _replica(tmp_path: Path, name: str, url: str, slack: SlackStandIn) -> Blastwall:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir(exist_ok=True)
    (playbooks / "leaked.yaml").write_text(PLAYBOOK)
    workdir = tmp_path / name
    workdir.mkdir()
    env = base_env(
        BLASTWALL_DATABASE_URL=url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN=INTAKE,
        BLASTWALL_ANCHOR_INTERVAL="0.2",
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_TEAM_ID=TEAM,
        SLACK_API_URL=f"{slack.url}/api/",  # type: ignore[attr-defined]
    )
    return Blastwall(
        workdir=workdir,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=None,
        slack_secret=SLACK_SECRET,
        intake_token=INTAKE,
        database_url=url,
    )


@pytest.fixture
def replicas(tmp_path: Path, database_url: str, slack: SlackStandIn) -> Iterator[list[Blastwall]]:
    """Two replicas on one database, not started: each test starts what it needs."""
    made = [_replica(tmp_path, name, database_url, slack) for name in ("a", "b")]
    try:
        yield made
    finally:
        for replica in made:
            replica.stop()


async def _incident_room(
    blastwall: Blastwall, slack: SlackStandIn, key_id: str
) -> tuple[str, Channel]:
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident = str(accepted.json()["incident"])
    channel = await eventually(lambda: slack.channel_named_prefix(incident.lower()))
    await eventually(lambda: slack.card_in(channel.id))
    return incident, channel


async def _transcript(blastwall: Blastwall, incident: str, count: int) -> list[dict[str, Any]]:
    async def said() -> list[dict[str, Any]] | None:
        entries = [e for e in await blastwall.evidence(incident) if e["what"] in SAID]
        return entries if len(entries) >= count else None

    return await eventually(said)


async def test_a_conversation_becomes_the_transcript_once(
    replicas: list[Blastwall], slack: SlackStandIn, tmp_path: Path
) -> None:
    blastwall = replicas[0]
    blastwall.start()
    incident, room = await _incident_room(blastwall, slack, "AKIATRANSCRIPT000001")
    driver = SlackDriver(blastwall.url, SLACK_SECRET, team_id=TEAM)

    assert (await _ignored(driver, slack, room)) == [200, 200, 200, 200, 200, 401, 403]
    first = slack.say(room.id, IC, f"rotating now, was aws_secret_access_key={SECRET_KEY}")
    delivered = await driver.message(first, event_id="EvFIRST0001")
    retried = await driver.message(first, event_id="EvFIRST0001", retry_num=1)
    again = await driver.message(first)  # the same message under a new event id
    assert delivered.status_code == retried.status_code == again.status_code == 200
    await _transcript(blastwall, incident, 1)
    reply = slack.say(room.id, IAM, "confirmed, the key is inactive", thread_ts=first.ts)
    await driver.message(reply)
    await _transcript(blastwall, incident, 2)
    slack.edit(first, "rotating now")
    await driver.message_changed(first, previous_text=f"aws_secret_access_key={SECRET_KEY}")
    await _transcript(blastwall, incident, 3)
    await driver.message_deleted(reply, slack.delete(reply))
    entries = await _transcript(blastwall, incident, 4)

    said, answered, edited, deleted = entries
    assert [e["what"] for e in entries] == [*SAID[:1], *SAID]
    assert said["who"]["user_id"] == IC and said["who"]["platform"] == "slack"
    assert SECRET_KEY not in said["after"]["text"] and "[REDACTED:" in said["after"]["text"]
    assert said["details"]["message"] == first.ts and said["details"]["thread"] is None
    assert answered["details"]["thread"] == first.ts and answered["who"]["user_id"] == IAM
    assert edited["details"]["message"] == first.ts and edited["after"] == {"text": "rotating now"}
    assert edited["details"]["original_seq"] == said["seq"]
    assert deleted["details"]["message"] == reply.ts and deleted["after"] is None
    assert deleted["details"]["original_seq"] == answered["seq"]
    all_entries = await blastwall.evidence(incident)
    assert not any(e["what"] == "request refused" for e in all_entries)
    assert SECRET_KEY not in str(all_entries)
    _verifies(blastwall, incident, tmp_path)


async def _ignored(driver: SlackDriver, slack: SlackStandIn, room: Channel) -> list[int]:
    """What records nothing: a bot, Blastwall itself, Slack's notices, another
    channel, a forged signature, another workspace."""
    other_bot = {"type": "message", "subtype": "bot_message", "bot_id": "B0DEPLOY"}
    ourselves = {"type": "message", "user": slack.bot_user, "bot_id": "BBLASTWALL"}
    joined = {"type": "message", "subtype": "channel_join", "user": IAM}
    base = {"channel": room.id, "text": "x", "ts": f"{time.time():.6f}"}
    unfurled = {  # Slack updating a message (an unfurl), not a person editing it
        "type": "message",
        "subtype": "message_changed",
        "message": {"type": "message", "user": IC, "text": "x", "ts": base["ts"]},
    }
    elsewhere = slack.say("CGENERAL", IC, "not an incident room")
    foreign = SlackDriver(driver.base_url, SLACK_SECRET, team_id="T0OTHER")
    answers = [
        await driver.event({**base, **other_bot}),
        await driver.event({**base, **ourselves}),
        await driver.event({**base, **joined}),
        await driver.message(elsewhere, channel_type="channel"),
        await driver.event({**base, **unfurled}),
        await driver.message(slack.say(room.id, IC, "forged"), forge=True),
        await foreign.message(slack.say(room.id, IC, "from elsewhere")),
    ]
    return [a.status_code for a in answers]


def _verifies(blastwall: Blastwall, incident: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    exported = blastwall.export(incident, bundle)
    assert exported.returncode == 0, exported.stderr
    verified: subprocess.CompletedProcess[str] = blastwall.cli(
        "evidence", "verify", str(bundle), "--key", blastwall.public_key
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_what_was_said_while_down_is_read_back_once_by_two_replicas(
    replicas: list[Blastwall], slack: SlackStandIn
) -> None:
    first, second = replicas
    first.start()
    incident, room = await _incident_room(first, slack, "AKIATRANSCRIPT000002")
    driver = SlackDriver(first.url, SLACK_SECRET, team_id=TEAM)
    before = slack.say(room.id, IC, "declared, looking")
    await driver.message(before)
    early = slack.say(room.id, IAM, "key owner is payments", thread_ts=before.ts)
    await driver.message(early)
    await _transcript(first, incident, 2)
    first.stop()

    missed = _while_down(slack, room, before)
    await asyncio.gather(asyncio.to_thread(first.start), asyncio.to_thread(second.start))
    for replica in replicas:
        await eventually(partial(_caught_up, replica))

    entries = await _transcript(first, incident, 2 + len(missed) + 1)
    said = [(e["what"], e["details"]["message"]) for e in entries]
    assert len(said) == len(set(said)), said
    recorded = {m for what, m in said if what == "channel message"}
    assert recorded == {before.ts, early.ts, *(m.ts for m in missed)}
    edits = [e for e in entries if e["what"] == "channel message edited"]
    assert [e["details"]["message"] for e in edits] == [before.ts]
    assert edits[0]["details"]["original_seq"] == entries[0]["seq"]
    assert edits[0]["after"] == {"text": "declared, contained"}
    thread = {e["details"]["message"]: e["details"]["thread"] for e in entries}
    assert thread[missed[1].ts] == before.ts and thread[missed[3].ts] == missed[2].ts
    assert all(e["details"]["through"] == "backfill" for e in entries[2:])


def _caught_up(replica: Blastwall) -> bool:
    return "caught up on" in replica.log.read_text()


def _while_down(slack: SlackStandIn, room: Channel, before: Message) -> list[Message]:
    """Said while no replica listened: top-level messages, a reply in a known thread,
    a new thread, an edit of a recorded message, and a bot's message."""
    missed = [
        slack.say(room.id, IC, "contained, rotating"),
        slack.say(room.id, IAM, "rotation done", thread_ts=before.ts),
        slack.say(room.id, IAM, "who else used the key?"),
    ]
    missed.append(slack.say(room.id, IC, "only the CI job", thread_ts=missed[2].ts))
    slack.edit(before, "declared, contained")
    slack.say(room.id, "UDEPLOYBOT", "deploy finished").bot_id = "B0DEPLOY"
    return missed
