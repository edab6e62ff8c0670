"""A door answers once what it was asked is durable, not once the work is done.

The app is served in-process with the Slack stand-in; the AWS connector is a fake
that holds its call until the test lets it go. Clicks are signed like Slack's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import select

from bot.app import Wired, build, create_app
from bot.config import Settings
from bot.core.actions import ActionOutcome, ActionPlan
from bot.core.evidence import What
from bot.core.identities import AffectedIdentity
from bot.core.ports import Connector
from bot.storage.database import make_engine
from bot.storage.models import ActionRequestRow
from connectors.aws_iam.specs import SPECS
from tests.fakes.connector import FakeConnector
from tests.fakes.servers import ServedApp, settle
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import eventually, stored_evidence

pytestmark = pytest.mark.db

IC, IAM = "UCOMMANDER1", "UIAMENG01"
TOKEN, SECRET, INTAKE = "xoxb-test-0000000000-ackpath", "ackpath-signing-secret-0123", "intake"
HOLD_S = 20.0
PLAYBOOK = f"""\
name: ack-path
title: Leaked key
trigger:
  sources: [scanner]
  identity:
    systems: [aws]
    kinds: [access_key]
default_severity: SEV2
commander:
  user: "slack:{IC}"
rights:
  nhi.credential-lifecycle: ["slack:{IAM}"]
actions:
  - action: aws.iam.deactivate_access_key
    label: Deactivate key
"""


@dataclass
class HeldConnector(FakeConnector):
    """``hold_in`` ("plan" or "apply") waits until ``gate`` is set (bounded)."""

    hold_in: str = "apply"
    reached: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)

    async def _hold(self, step: str) -> None:
        if step == self.hold_in:
            self.reached.set()
            await asyncio.to_thread(self.gate.wait, HOLD_S)

    async def plan(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionPlan:
        await self._hold("plan")
        return await super().plan(action_id, target, params)

    async def apply(
        self, action_id: str, target: AffectedIdentity, params: dict[str, str]
    ) -> ActionOutcome:
        await self._hold("apply")
        return await super().apply(action_id, target, params)


@dataclass
class Rig:
    tmp_path: Path
    database_url: str
    slack: SlackStandIn
    slack_url: str
    aws: HeldConnector = field(default_factory=lambda: HeldConnector("aws_iam", SPECS))

    def settings(self, **more: Any) -> Settings:
        playbooks = self.tmp_path / "playbooks"
        playbooks.mkdir(exist_ok=True)
        (playbooks / "ack.yaml").write_text(PLAYBOOK)
        return Settings(
            database_url=self.database_url,
            playbooks=playbooks,
            signing_key=self.tmp_path / "signing.pem",
            intake_token=INTAKE,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=f"{self.slack_url}/api/",
            **more,
        )

    @contextmanager
    def served(self, connector: Connector, **more: Any) -> Iterator[tuple[Wired, str]]:
        wired = build(self.settings(**more), environ={})
        cast(dict[str, Connector], wired.services.connectors)["aws_iam"] = connector
        with ServedApp(create_app(wired)) as served:
            yield wired, served.url


@pytest.fixture
def rig(tmp_path: Path, database_url: str) -> Iterator[Rig]:
    slack = SlackStandIn(TOKEN, users=[IC, IAM])
    with ServedApp(slack.app) as served:
        made = Rig(tmp_path, database_url, slack, served.url)
        yield made
        made.aws.gate.set()


def _alert(n: int = 1) -> dict[str, Any]:
    return {
        "source": "scanner",
        "severity": "SEV2",
        "summary": "a key was pushed",
        "identity": {"system": "aws", "kind": "access_key", "id": f"AKIAACKPATH{n:09d}"},
    }


async def _declare(url: str, n: int = 1) -> str:
    async with httpx.AsyncClient(timeout=10) as web:
        answer = await web.post(
            f"{url}/alerts", json=_alert(n), headers={"Authorization": f"Bearer {INTAKE}"}
        )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["incident"])


async def _click(rig: Rig, url: str, incident_id: str) -> httpx.Response:
    channel = await eventually(lambda: rig.slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: rig.slack.card_in(channel.id))
    button = card.button("aws.iam.deactivate_access_key")
    driver = SlackDriver(url, SECRET)
    return await driver.click(IAM, button.value, button.action_id, channel.id, card.ts)


async def _whats(rig: Rig, incident_id: str) -> list[str]:
    return [str(e["what"]) for e in await stored_evidence(rig.database_url, incident_id)]


async def _statuses(rig: Rig) -> list[str]:
    engine = make_engine(rig.database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(ActionRequestRow.status))).scalars().all())
    finally:
        await engine.dispose()


async def test_an_alert_is_answered_while_its_room_is_still_being_opened(rig: Rig) -> None:
    gate = rig.slack.hold("conversations.create")
    with rig.served(rig.aws) as (wired, url):
        incident_id = await _declare(url)
        assert What.INCIDENT_DECLARED.value in await _whats(rig, incident_id)
        assert rig.slack.channels == {}
        gate.set()
        await asyncio.to_thread(settle, wired.backlog)
        channel = rig.slack.channel_named_prefix(incident_id.lower())
        assert channel is not None and rig.slack.card_in(channel.id) is not None


async def test_a_click_is_answered_while_the_connector_call_is_held(rig: Rig) -> None:
    with rig.served(rig.aws) as (wired, url):
        incident_id = await _declare(url)
        answer = await _click(rig, url, incident_id)
        assert answer.status_code == 200
        assert await asyncio.to_thread(rig.aws.reached.wait, HOLD_S)
        whats = await _whats(rig, incident_id)
        assert What.ACTION_REQUESTED.value in whats
        assert What.ACTION_SUCCEEDED.value not in whats
        assert await _statuses(rig) == ["running"]
        rig.aws.gate.set()
        await asyncio.to_thread(settle, wired.backlog)
        assert What.ACTION_SUCCEEDED.value in await _whats(rig, incident_id)
        key = f"aws:access_key:{_alert()['identity']['id']}"
        assert rig.aws.applied == [("aws.iam.deactivate_access_key", key)]
        assert await _statuses(rig) == ["succeeded"]


async def test_a_crash_between_the_answer_and_the_call_is_reconciled(rig: Rig) -> None:
    rig.aws.hold_in = "plan"
    quick = {"call_lease": 0.5, "reconcile_after": 0.5, "notice_retry": 0.5}
    with rig.served(rig.aws, call_lease=0.5) as (wired, url):  # reconciles only on start
        incident_id = await _declare(url)
        assert (await _click(rig, url, incident_id)).status_code == 200
        assert await asyncio.to_thread(rig.aws.reached.wait, HOLD_S)
        wired.backlog.drain_s = 0.0  # the process dies: what is queued is not finished
        loop = wired.backlog.loop
        assert loop is not None
        stopped = asyncio.run_coroutine_threadsafe(wired.backlog.stop(), loop)
        await asyncio.to_thread(stopped.result, HOLD_S)
        rig.aws.gate.set()
    after = FakeConnector("aws_iam", SPECS)
    with rig.served(after, **quick):
        await eventually(
            lambda: _has(rig, incident_id, What.ACTION_RECONCILED.value), timeout_s=HOLD_S
        )
    assert await _statuses(rig) == ["failed"]
    assert rig.aws.applied == [] and after.applied == []


async def _has(rig: Rig, incident_id: str, what: str) -> bool:
    return what in await _whats(rig, incident_id)


async def test_a_burst_of_alerts_gets_every_room_within_slacks_tier(rig: Rig) -> None:
    rig.slack.enforce_tier("conversations.create", 4, 1.0)
    burst = 8
    with rig.served(rig.aws, slack_create_limit=4, slack_create_window=1.0) as (wired, url):
        incidents = await asyncio.gather(*(_declare(url, n) for n in range(burst)))
        assert len(set(incidents)) == burst
        await asyncio.to_thread(settle, wired.backlog)
    rooms = [rig.slack.channel_named_prefix(i.lower()) for i in incidents]
    assert all(room is not None for room in rooms)
    assert rig.slack.tier_refusals["conversations.create"] == 0
    assert len(rig.slack.served_at["conversations.create"]) == burst
