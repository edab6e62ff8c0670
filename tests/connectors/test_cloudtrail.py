"""The AWS connector's activity port against the CloudTrail stand-in, over real HTTP:
the query CloudTrail receives, paging, a throttle retried, the bound, errors as errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.activity import ActivityUnavailable, ActivityWindow
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.ports import ActivitySource
from connectors.aws_iam.cloudtrail import CloudTrailActivity
from connectors.aws_iam.connector import AwsIamConnector
from tests.fakes.cloudtrail_api import CloudTrailStandIn
from tests.fakes.servers import ServedApp

KEY = "AKIACLOUDTRAIL000001"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def trail() -> Iterator[CloudTrailStandIn]:
    stand_in = CloudTrailStandIn()
    with ServedApp(stand_in.app) as served:
        stand_in.url = served.url  # type: ignore[attr-defined]
        yield stand_in


def _aws(trail: CloudTrailStandIn, attempts: int = 5) -> AwsIamConnector:
    cloudtrail = CloudTrailActivity(
        endpoint_url=trail.url,  # type: ignore[attr-defined]
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        max_attempts=attempts,
    )
    return AwsIamConnector(endpoint_url="http://127.0.0.1:9", cloudtrail=cloudtrail)


def _window(max_events: int = 100) -> ActivityWindow:
    return ActivityWindow(NOW - timedelta(hours=24), NOW, max_events)


KEY_ID = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, KEY)


async def test_pages_through_a_throttle_and_answers_oldest_first(trail: CloudTrailStandIn) -> None:
    for hours, name in ((3, "ListBuckets"), (2, "GetCallerIdentity"), (1, "CreateUser")):
        trail.add_event(name, NOW - timedelta(hours=hours), KEY, "ci-bot")
    trail.add_event("Other", NOW - timedelta(hours=1), "AKIAOTHERKEY00000001", "other")
    trail.add_event("TooOld", NOW - timedelta(days=3), KEY, "ci-bot")
    trail.page_size = 2
    trail.throttle_call(2)
    aws = _aws(trail)
    assert isinstance(aws, ActivitySource) and aws.covers(KEY_ID)
    report = await aws.activity(KEY_ID, ActivityWindow(NOW - timedelta(hours=24), NOW, 100))
    assert [e.name for e in report.events] == ["ListBuckets", "GetCallerIdentity", "CreateUser"]
    assert not report.truncated and report.source == "aws.cloudtrail"
    assert trail.throttles == [2] and len(trail.calls) == 3
    first = trail.calls[0]
    assert first["LookupAttributes"] == [{"AttributeKey": "AccessKeyId", "AttributeValue": KEY}]
    assert first["MaxResults"] == 50 and "NextToken" not in first
    assert trail.calls[2]["NextToken"]  # the second page, asked again after the throttle
    assert report.query["LookupAttributes"] == first["LookupAttributes"]


async def test_the_event_bound_truncates(trail: CloudTrailStandIn) -> None:
    for minute in range(5):
        trail.add_event(f"Call{minute}", NOW - timedelta(minutes=minute + 1), KEY, "ci-bot")
    report = await _aws(trail).activity(KEY_ID, _window(max_events=2))
    assert len(report.events) == 2 and report.truncated
    assert all(c["MaxResults"] == 2 for c in trail.calls)


async def test_a_user_is_looked_up_by_name(trail: CloudTrailStandIn) -> None:
    trail.add_event("PutObject", NOW - timedelta(hours=1), KEY, "deploy-bot")
    user = AffectedIdentity("aws", IdentityKind.USER, "arn:aws:iam::123456789012:user/deploy-bot")
    report = await _aws(trail).activity(user, _window())
    assert [e.actor for e in report.events] == ["deploy-bot"]
    assert trail.calls[0]["LookupAttributes"][0] == {
        "AttributeKey": "Username",
        "AttributeValue": "deploy-bot",
    }


async def test_throttling_past_the_bound_and_refusals_are_unavailable(
    trail: CloudTrailStandIn,
) -> None:
    for call in range(1, 4):
        trail.throttle_call(call)
    with pytest.raises(ActivityUnavailable, match="ThrottlingException") as throttled:
        await _aws(trail, attempts=2).activity(KEY_ID, _window())
    assert throttled.value.query["LookupAttributes"]
    trail.fail_always("InvalidLookupAttributesException", "no")
    with pytest.raises(ActivityUnavailable, match="InvalidLookupAttributesException"):
        await _aws(trail).activity(KEY_ID, _window())


def test_off_or_other_systems_are_not_covered() -> None:
    assert not AwsIamConnector(endpoint_url="http://127.0.0.1:9").covers(KEY_ID)
    assert isinstance(AwsIamConnector(), ActivitySource)  # the port, even when off
    github = AffectedIdentity("github", IdentityKind.TOKEN, "1")
    cloudtrail = CloudTrailActivity(
        endpoint_url=None, region="us-east-1", access_key_id=None, secret_access_key=None
    )
    assert not cloudtrail.covers(github)
