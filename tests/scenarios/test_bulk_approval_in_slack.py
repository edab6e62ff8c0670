"""A signed Slack click on the bulk button of an action that needs approval: one
approval request for the whole set, one prompt for the approver, and once they
approve, every key is inactive in moto with its own outcome on record. A denied
bulk leaves every key active and the card still updates."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.storage.database import make_engine
from bot.storage.models import ActionRequestRow
from tests.fakes.slack_api import Message, SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM, MANAGER
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db
KEYS = 24


async def _bulk_asked(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: Any
) -> tuple[str, str, list[tuple[str, str]], SlackDriver]:
    """Declare an incident over ``KEYS`` keys and click its bulk button as IAM."""
    keys = []
    for n in range(KEYS // 2):  # IAM allows two keys per user
        iam_admin.create_user(UserName=f"svc-{n}")
        for _ in range(2):
            created = iam_admin.create_access_key(UserName=f"svc-{n}")
            keys.append((f"svc-{n}", created["AccessKey"]["AccessKeyId"]))
    alert = {
        "source": "leak-audit",
        "severity": "SEV2",
        "summary": "production keys found in a build log",
        "identities": [
            {"system": "aws", "kind": "access_key", "id": key, "attributes": {"user": user}}
            for user, key in keys
        ],
    }
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=30) as web:
        accepted = await web.post("/alerts", json=alert, headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    incident_id = accepted.json()["incident"]
    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    card = await eventually(lambda: slack.card_in(channel.id))
    bulk = next(b for b in card.buttons() if '"target":"*"' in b.value)
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    clicked = await driver.click(IAM, bulk.value, bulk.action_id, channel.id, card.ts)
    assert clicked.status_code == 200
    return incident_id, channel.id, keys, driver


async def _requests(blastwall: Blastwall, incident_id: str) -> list[tuple[str, str]]:
    engine = make_engine(blastwall.database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(ActionRequestRow.target_key, ActionRequestRow.status).where(
                    ActionRequestRow.incident_id == incident_id
                )
            )
            return [(str(t), str(s)) for t, s in rows]
    finally:
        await engine.dispose()


async def _decide(
    slack: SlackStandIn, driver: SlackDriver, prompt: Message, kind: str, reason: str
) -> None:
    button = prompt.prompt_button(kind)
    views_before = len(slack.views)
    await driver.click(
        MANAGER,
        button.value,
        button.action_id,
        prompt.channel,
        prompt.ts,
        trigger_id=slack.issue_trigger(),
    )
    view = (await eventually(lambda: slack.views[views_before:]))[0]
    await driver.view_submission(
        MANAGER,
        "bw.decide",
        {"reason": {"reason": {"value": reason}}},
        private_metadata=view["private_metadata"],
    )


async def test_one_approval_for_the_whole_set_then_every_key_is_inactive(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: Any
) -> None:
    incident_id, channel, keys, driver = await _bulk_asked(blastwall, slack, iam_admin)
    dm = await eventually(lambda: slack.prompts_in(f"D{MANAGER}", "approve"))
    assert f"all {KEYS} identities" in dm[0].text
    assert await _requests(blastwall, incident_id) == [("*", "awaiting_approval")]
    assert len(slack.prompts_in(f"D{MANAGER}", "approve")) == 1
    assert len(slack.prompts_in(channel, "approve")) == 1
    assert all(blastwall.key_status(key) == "Active" for _, key in keys)

    await _decide(slack, driver, dm[0], "approve", "all of them are in the leaked log")
    summary = await eventually(lambda: _summary(slack), timeout_s=120)
    assert f"{KEYS} done, 0 failed" in summary
    assert all(blastwall.key_status(key) == "Inactive" for _, key in keys)
    rows = await _requests(blastwall, incident_id)
    assert sorted(rows) == sorted(
        [("*", "succeeded")] + [(f"aws:access_key:{k}", "succeeded") for _, k in keys]
    )
    entries = await blastwall.evidence(incident_id)
    succeeded = [e for e in entries if e["what"] == "action succeeded"]
    assert len({e["details"]["target"] for e in succeeded}) == KEYS
    assert [e["what"] for e in entries].count("approval granted") == 1
    assert len(slack.prompts_in(f"D{MANAGER}", "approve")) == 1


async def test_a_denied_bulk_changes_nothing_and_the_card_shows_it(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: Any
) -> None:
    incident_id, channel, keys, driver = await _bulk_asked(blastwall, slack, iam_admin)
    dm = await eventually(lambda: slack.prompts_in(f"D{MANAGER}", "approve"))
    await _decide(slack, driver, dm[0], "deny", "only the first key leaked")
    await eventually(lambda: _card_shows(slack, channel, "🚫"))
    assert await _requests(blastwall, incident_id) == [("*", "denied")]
    assert all(blastwall.key_status(key) == "Active" for _, key in keys)


def _card_shows(slack: SlackStandIn, channel: str, text: str) -> bool:
    card = slack.card_in(channel)
    return card is not None and any(text in json.dumps(u, ensure_ascii=False) for u in card.updates)


def _summary(slack: SlackStandIn) -> str | None:
    note = slack.ephemeral_to(IAM)
    return note.text if note and "identities" in note.text else None
