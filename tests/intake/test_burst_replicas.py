"""A burst about one key, split across two ``blastwall serve`` processes on one database:
exactly one incident, one channel, one commander page, every alert recorded on it.

On PostgreSQL this is the advisory lock at work; on SQLite, BEGIN IMMEDIATE.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.servers import ServedApp, free_port
from tests.fakes.slack_api import SlackStandIn
from tests.intake.conftest import HOOK_SECRET, TOKEN, payload, signed
from tests.scenarios.harness import Blastwall, base_env, eventually

pytestmark = pytest.mark.db
IC = "UCOMMANDER1"
SLACK_TOKEN = "xoxb-test-0000000000-burst"
SLACK_SECRET = "test-signing-secret-burst-0123456789"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
WEBHOOKS, FINDINGS = 20, 5
PLAYBOOK = f"""\
name: burst-leaked-key
title: Leaked cloud access key
trigger:
  sources: [github-secret-scanning, aws-guardduty]
  identity:
    systems: [aws]
    kinds: [access_key]
  min_severity: SEV3
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IC}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
"""


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn(SLACK_TOKEN, users=[IC])
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def replicas(tmp_path: Path, database_url: str, slack: SlackStandIn) -> Iterator[list[Blastwall]]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "burst.yaml").write_text(PLAYBOOK)
    started: list[Blastwall] = []
    try:
        for name in ("a", "b"):
            started.append(_replica(tmp_path, name, database_url, playbooks, slack))
            started[-1].start()
        yield started
    finally:
        for replica in started:
            replica.stop()


def _replica(
    tmp_path: Path, name: str, url: str, playbooks: Path, slack: SlackStandIn
) -> Blastwall:
    workdir = tmp_path / name
    workdir.mkdir()
    env = base_env(
        BLASTWALL_DATABASE_URL=url,
        BLASTWALL_PLAYBOOKS=str(playbooks),
        BLASTWALL_INTAKE_TOKEN=TOKEN,
        BLASTWALL_GITHUB_WEBHOOK_SECRET=HOOK_SECRET,
        BLASTWALL_SIGNING_KEY=str(tmp_path / "signing.pem"),
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=f"{slack.url}/api/",  # type: ignore[attr-defined]
    )
    return Blastwall(
        workdir=workdir,
        env=env,
        url=f"http://127.0.0.1:{free_port()}",
        iam=None,
        slack_secret=SLACK_SECRET,
        intake_token=TOKEN,
        database_url=url,
    )


async def _webhook(web: httpx.AsyncClient, replica: Blastwall, n: int) -> httpx.Response:
    hook = payload("github_secret_scanning_created.json")
    hook["alert"]["number"] = 100 + n
    body = json.dumps(hook).encode()
    headers = {**signed(body), "X-GitHub-Delivery": str(uuid.uuid4())}
    return await web.post(f"{replica.url}/alerts/github", content=body, headers=headers)


async def _finding(web: httpx.AsyncClient, replica: Blastwall, n: int) -> httpx.Response:
    event = payload("guardduty_finding.json")
    event["detail"].update(id=f"finding-{n}", severity=9.2)
    return await web.post(f"{replica.url}/alerts/eventbridge", json=event, headers=replica.bearer)


async def test_a_burst_on_two_replicas_is_one_incident_at_sev1(
    replicas: list[Blastwall], slack: SlackStandIn
) -> None:
    async with httpx.AsyncClient(timeout=60) as web:
        sends = [_webhook(web, replicas[n % 2], n) for n in range(WEBHOOKS)]
        sends += [_finding(web, replicas[(n + 1) % 2], n) for n in range(FINDINGS)]
        answers = await asyncio.gather(*sends)
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    incidents = {a["incident"] for r in answers for a in r.json()["accepted"]}
    assert len(incidents) == 1
    (incident,) = incidents

    channel = await eventually(lambda: slack.channel_named_prefix(incident.lower()))
    await eventually(lambda: slack.card_in(channel.id))
    entries = await replicas[0].evidence(incident)
    whats = [e["what"] for e in entries]
    assert whats.count("incident declared") == 1
    assert whats.count("alert coalesced") == WEBHOOKS + FINDINGS - 1, "every alert is recorded"
    declared = entries[0]["after"]["severity"]
    assert whats.count("severity raised") == (0 if declared == "SEV1" else 1)
    raised = [e for e in entries if e["what"] == "severity raised"]
    assert all(e["after"] == {"severity": "SEV1"} for e in raised)

    assert len(slack.channels) == 1
    pages = [m for m in slack.messages_in(channel.id) if "is the incident commander" in m.text]
    assert len(pages) == 1
    if raised:
        await eventually(
            lambda: any("Severity raised to SEV1" in m.text for m in slack.messages_in(channel.id))
        )
