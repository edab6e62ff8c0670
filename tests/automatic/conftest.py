"""Blastwall served on 127.0.0.1 with playbooks that contain automatically, moto as AWS
and the Slack stand-in as the room; a second replica on the same database on demand."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Wired, build, create_app
from bot.config import Settings
from tests.fakes.moto_aws import iam_admin, key_status, moto_endpoint, moto_server
from tests.fakes.servers import ServedApp, settle
from tests.fakes.slack_api import Message, SlackStandIn
from tests.scenarios.harness import stored_evidence

__all__ = ["iam_admin", "moto_endpoint", "moto_server"]

TOKEN = "intake-token-for-automatic"
SLACK_TOKEN = "xoxb-test-0000000000-automatic"
SLACK_SECRET = "test-signing-secret-automatic-0123"
IC, IAM, SECURITY = "UCOMMANDER1", "UIAMENG01", "USECURITY1"
SETTLE_S = 30

AUTO = f"""\
name: auto-keys
title: Leaked non-production key, contained automatically
environment: non-production
trigger:
  sources: [gitleaks]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV3
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
  audit: ["slack:{IC}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
    automatic:
      when:
        severity_at_least: SEV3
        sources: [gitleaks]
        identity_kinds: [access_key]
      max_targets: 2
      environments: [non-production]
"""

# The playbook-wide rule gates every non-production action behind approval, so its
# automatic rule must hold back and leave the request to a person.
GATED = f"""\
name: gated-keys
title: Leaked key, every action approved
environment: non-production
trigger:
  sources: [gated-scanner]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV3
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
  approve: ["slack:{SECURITY}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
    automatic:
      when: {{}}
      max_targets: 5
      environments: [non-production]
approval:
  environment: [non-production]
"""

FLAGGED = f"""\
name: flagged-keys
title: Leaked key, automatic containment switched off
environment: non-production
automatic_enabled: false
trigger:
  sources: [flagged-scanner]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV3
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
    automatic:
      when: {{}}
      max_targets: 5
      environments: [non-production]
"""


@dataclass
class Replica:
    url: str
    wired: Wired
    loop: asyncio.AbstractEventLoop


@dataclass
class Deployment:
    """What the tests drive (the alert door) and read (moto, the room, the ledger)."""

    iam: Any
    slack: SlackStandIn
    database_url: str
    settings: Settings
    replicas: list[Replica] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.replicas[0].url

    async def alert(self, body: dict[str, Any], replica: int = 0) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.replicas[replica].url, timeout=30) as web:
            return await web.post(
                "/alerts", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
            )

    async def settle(self) -> None:
        """Wait (bounded) until each replica's automatic containment has ended: through
        a door it runs on the backlog after the answer; through ``handle``, detached."""
        for replica in self.replicas:
            await asyncio.to_thread(settle, replica.wired.backlog, SETTLE_S)
            done = asyncio.run_coroutine_threadsafe(replica.wired.bus.drain(), replica.loop)
            await asyncio.wait_for(asyncio.wrap_future(done), SETTLE_S)
            await asyncio.to_thread(settle, replica.wired.backlog, SETTLE_S)

    def aws_key(self, user: str) -> str:
        self.iam.create_user(UserName=user)
        return str(self.iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"])

    def key_status(self, user: str, key_id: str) -> str:
        return key_status(self.iam, user, key_id)

    async def evidence(self, incident_id: str) -> list[dict[str, Any]]:
        return await stored_evidence(self.database_url, incident_id)

    def room_texts(self, incident_id: str) -> list[str]:
        channel = self.slack.channel_named_prefix(incident_id.lower())
        assert channel is not None, f"no room for {incident_id}"
        return [m.text for m in self.slack.messages_in(channel.id)]

    def card(self, incident_id: str) -> Message:
        channel = self.slack.channel_named_prefix(incident_id.lower())
        assert channel is not None
        card = self.slack.card_in(channel.id)
        assert card is not None
        return card


def alert(key_id: str, user: str, source: str = "gitleaks", **identity: Any) -> dict[str, Any]:
    return {
        "source": source,
        "severity": "SEV2",
        "summary": "a staging key was committed to a repository",
        "environment": "non-production",
        "identity": {
            "system": "aws",
            "kind": "access_key",
            "id": key_id,
            "attributes": {"user": user},
            **identity,
        },
    }


def whats(entries: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["what"] == what]


def entries_text(entries: list[dict[str, Any]]) -> str:
    return json.dumps(entries)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn(SLACK_TOKEN, users=[IC, IAM, SECURITY])
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


@pytest.fixture
def deployment(
    tmp_path: Path,
    slack: SlackStandIn,
    moto_endpoint: str,
    iam_admin: Any,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Deployment]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    for name, text in (("auto", AUTO), ("gated", GATED), ("flagged", FLAGGED)):
        (playbooks / f"{name}.yaml").write_text(text)
    for name, value in {
        "BLASTWALL_AWS_ENDPOINT_URL": moto_endpoint,
        "BLASTWALL_AWS_CLOUDTRAIL": "off",  # moto has no LookupEvents
        "BLASTWALL_AWS_ACCESS_KEY_ID": "testing",
        "BLASTWALL_AWS_SECRET_ACCESS_KEY": "testing",
        "BLASTWALL_AWS_RATE_PER_S": "100",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BLASTWALL_AUTOMATIC", raising=False)
    settings = Settings(
        database_url=database_url,
        playbooks=playbooks,
        signing_key=tmp_path / "signing.pem",
        intake_token=TOKEN,
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SLACK_SECRET,
        slack_api_url=f"{slack.url}/api/",  # type: ignore[attr-defined]
    )
    deployment = Deployment(iam_admin, slack, database_url, settings)
    with _serve(deployment):
        yield deployment


@pytest.fixture
def two_replicas(deployment: Deployment) -> Iterator[Deployment]:
    """A second replica on the same database, keys and room."""
    with _serve(deployment):
        yield deployment


class _serve:
    """One more replica of the deployment, served until the block ends."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.loops: list[asyncio.AbstractEventLoop] = []

        async def started(_: Wired) -> None:
            self.loops.append(asyncio.get_running_loop())

        self.wired = build(deployment.settings)
        self.served = ServedApp(create_app(self.wired, on_started=started))

    def __enter__(self) -> Replica:
        self.served.__enter__()
        replica = Replica(self.served.url, self.wired, self.loops[0])
        self.deployment.replicas.append(replica)
        return replica

    def __exit__(self, *exc: object) -> None:
        self.served.__exit__(*exc)
