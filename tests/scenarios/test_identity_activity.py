"""The leaked key's own activity, end to end (issue 13 part 2): an alert on ``/alerts``
declares; the running service then reads CloudTrail (two pages, a throttle between
them) into the ledger; resolving reads again from where the first read ended; a
CloudTrail failure is recorded and the incident stands; the bundle still verifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.cloudtrail_api import CloudTrailStandIn
from tests.fakes.servers import ServedApp
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import Blastwall, eventually

pytestmark = pytest.mark.db

IC = "UCOMMANDER1"
LEAKED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
COLLECTED, ACTIVITY = "identity activity collected", "identity activity"


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
    return {
        "source": "github-secret-scanning",
        "severity": "SEV2",
        "summary": "AWS key pushed to a public repo",
        "identity": {"system": "aws", "kind": "access_key", "id": key_id},
    }


async def _declare(blastwall: Blastwall, key_id: str) -> str:
    async with httpx.AsyncClient(base_url=blastwall.url, timeout=10) as web:
        accepted = await web.post("/alerts", json=_alert(key_id), headers=blastwall.bearer)
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["incident"])


async def _entries(blastwall: Blastwall, incident_id: str, what: str) -> list[dict[str, Any]]:
    return [e for e in await blastwall.evidence(incident_id) if e["what"] == what]


async def test_declaring_and_resolving_collect_the_keys_cloudtrail_activity(
    blastwall: Blastwall, cloudtrail: CloudTrailStandIn, slack: SlackStandIn, tmp_path: Path
) -> None:
    key_id = "AKIAACTIVITY00000001"
    now = datetime.now(UTC)
    cloudtrail.add_event("GetCallerIdentity", now - timedelta(minutes=50), key_id, "ci-bot")
    cloudtrail.add_event("ListBuckets", now - timedelta(minutes=40), key_id, "ci-bot")
    cloudtrail.add_event(
        "CreateAccessKey",
        now - timedelta(minutes=30),
        key_id,
        "ci-bot",
        responseElements={"accessKey": {"secretAccessKey": LEAKED_SECRET}},
    )
    cloudtrail.add_event("TooOld", now - timedelta(hours=3), key_id, "ci-bot")
    cloudtrail.page_size = 2
    cloudtrail.throttle_call(2)
    incident_id = await _declare(blastwall, key_id)

    async def collected(n: int) -> list[dict[str, Any]] | None:
        found = await _entries(blastwall, incident_id, COLLECTED)
        return found if len(found) >= n else None

    (declared,) = await eventually(lambda: collected(1))
    events = await _entries(blastwall, incident_id, ACTIVITY)
    assert [e["details"]["event"]["name"] for e in events] == [
        "GetCallerIdentity",
        "ListBuckets",
        "CreateAccessKey",
    ]
    assert all(e["details"]["source"] == "aws.cloudtrail" for e in events)
    details = declared["details"]
    assert (details["phase"], details["count"], details["truncated"]) == ("declared", 3, False)
    assert details["error"] is None and details["identity"] == f"aws:access_key:{key_id}"
    assert details["query"]["LookupAttributes"] == [
        {"AttributeKey": "AccessKeyId", "AttributeValue": key_id}
    ]
    assert len(cloudtrail.calls) == 3 and cloudtrail.throttles == [2]
    stored = str(await blastwall.evidence(incident_id))
    assert LEAKED_SECRET not in stored and "[REDACTED:" in stored

    channel = await eventually(lambda: slack.channel_named_prefix(incident_id.lower()))
    driver = SlackDriver(blastwall.url, blastwall.slack_secret)
    await driver.slash_command(IC, "status resolved rotated", channel_id=channel.id)
    closed = (await eventually(lambda: collected(2)))[1]["details"]
    assert closed["phase"] == "closed"
    assert closed["window"]["since"] == details["window"]["until"]
    await driver.slash_command(IC, "status closed done", channel_id=channel.id)
    await eventually(lambda: blastwall.evidence_whats(incident_id, "status changed"))

    bundle = tmp_path / "bundle.zip"
    assert blastwall.export(incident_id, bundle).returncode == 0
    verified = blastwall.cli("evidence", "verify", str(bundle), "--key", blastwall.public_key)
    assert verified.returncode == 0, verified.stderr


async def test_a_cloudtrail_failure_is_recorded_and_the_incident_still_declares(
    blastwall: Blastwall, cloudtrail: CloudTrailStandIn
) -> None:
    cloudtrail.fail_always("AccessDeniedException", "not authorized to cloudtrail:LookupEvents")
    incident_id = await _declare(blastwall, "AKIAACTIVITYDENIED01")

    async def failed() -> list[dict[str, Any]]:
        return await _entries(blastwall, incident_id, COLLECTED)

    (summary,) = await eventually(failed)
    assert summary["outcome"] == "failed"
    assert "AccessDeniedException" in summary["details"]["error"]
    assert summary["details"]["query"]["LookupAttributes"]
    whats = [e["what"] for e in await blastwall.evidence(incident_id)]
    assert whats[0] == "incident declared" and ACTIVITY not in whats
