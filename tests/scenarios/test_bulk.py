"""200 leaked keys in one incident, deactivated by one click on the card's bulk button,
with bounded concurrency, against moto; each key changed once, each with its evidence."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.moto_aws import key_status
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.conftest import IAM
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db
KEYS = 200


async def test_one_click_deactivates_two_hundred_keys(
    blastwall: Blastwall, slack: SlackStandIn, iam_admin: Any
) -> None:
    iam_admin.create_user(UserName="ci-fleet")
    keys: list[tuple[str, str]] = []
    for _ in range(KEYS // 2):  # IAM allows two keys per user
        user = f"ci-{len(keys)}"
        iam_admin.create_user(UserName=user)
        for _ in range(2):
            keys.append(
                (user, iam_admin.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"])
            )
    alert = {
        "source": "github-secret-scanning",
        "severity": "SEV1",
        "summary": "a CI image with 200 keys baked in was published",
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
    assert bulk.text.endswith(f"all {KEYS}")

    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.click(IAM, bulk.value, bulk.action_id, channel.id, card.ts)
    summary = await eventually(lambda: _summary(slack), timeout_s=180)
    assert f"{KEYS} done, 0 failed" in summary
    assert all(key_status(iam_admin, user, key) == "Inactive" for user, key in keys)
    entries = await blastwall.evidence(incident_id)
    succeeded = [e for e in entries if e["what"] == "action succeeded"]
    assert len(succeeded) == KEYS
    assert len({e["details"]["target"] for e in succeeded}) == KEYS


def _summary(slack: SlackStandIn) -> str | None:
    note = slack.ephemeral_to(IAM)
    return note.text if note and "identities" in note.text else None
