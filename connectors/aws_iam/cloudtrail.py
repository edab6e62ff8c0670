"""An AWS identity's activity from CloudTrail ``LookupEvents``.

One lookup attribute per call (CloudTrail takes only one): ``AccessKeyId`` for an
access key, ``Username`` for a user or service account, ``ResourceName`` for a
role (the calls that name it, such as AssumeRole). Pages of at most 50 follow
``NextToken`` until the window is read or the event bound is reached. CloudTrail
allows two lookups a second per account and Region: ``ThrottlingException`` is
retried by botocore's standard mode, a bounded number of times, then reported.
boto3 blocks, so each page is read in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bot.core.activity import (
    ActivityEvent,
    ActivityReport,
    ActivityUnavailable,
    ActivityWindow,
    iso,
)
from bot.core.identities import AffectedIdentity, IdentityKind

SOURCE = "aws.cloudtrail"
PAGE = 50  # LookupEvents' maximum MaxResults
SYSTEMS = frozenset({"aws"})
ATTRIBUTE = {
    IdentityKind.ACCESS_KEY: "AccessKeyId",
    IdentityKind.USER: "Username",
    IdentityKind.SERVICE_ACCOUNT: "Username",
    IdentityKind.ROLE: "ResourceName",
    IdentityKind.AGENT: "ResourceName",
}


class CloudTrailActivity:
    def __init__(
        self,
        *,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        max_attempts: int = 5,
        timeout_s: float = 10.0,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._credentials = (access_key_id, secret_access_key)
        self._config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
        )
        self._client: Any = None
        self._lock = threading.Lock()

    def covers(self, identity: AffectedIdentity) -> bool:
        return identity.system in SYSTEMS and identity.kind in ATTRIBUTE

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                key_id, secret = self._credentials
                self._client = boto3.session.Session().client(
                    "cloudtrail",
                    config=self._config,
                    endpoint_url=self._endpoint_url,
                    region_name=self._region,
                    aws_access_key_id=key_id,
                    aws_secret_access_key=secret,
                )
            return self._client

    async def activity(self, identity: AffectedIdentity, window: ActivityWindow) -> ActivityReport:
        query = _query(identity, window, self._region)
        events: list[ActivityEvent] = []
        token: str | None = None
        while True:
            page = await asyncio.to_thread(self._page, identity, window, token, query)
            events += [_event(raw) for raw in page.get("Events", [])]
            token = page.get("NextToken")
            if not token or len(events) >= window.max_events:
                break
        truncated = len(events) > window.max_events or bool(token)
        kept = sorted(events, key=lambda e: e.at)[: window.max_events]  # newest come first
        return ActivityReport(SOURCE, query, tuple(kept), truncated)

    def _page(
        self,
        identity: AffectedIdentity,
        window: ActivityWindow,
        token: str | None,
        query: dict[str, object],
    ) -> dict[str, Any]:
        ask: dict[str, Any] = {
            "LookupAttributes": [
                {"AttributeKey": ATTRIBUTE[identity.kind], "AttributeValue": _value(identity)}
            ],
            "StartTime": window.since,
            "EndTime": window.until,
            "MaxResults": min(PAGE, window.max_events),
        }
        if token:
            ask["NextToken"] = token
        try:
            answer: dict[str, Any] = self.client().lookup_events(**ask)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"CloudTrail refused: {error.get('Code', 'error')} {error.get('Message', '')}"
            raise ActivityUnavailable(SOURCE, query, _line(reason)) from exc
        except BotoCoreError as exc:
            reason = f"CloudTrail did not answer: {exc}"
            raise ActivityUnavailable(SOURCE, query, _line(reason)) from exc
        return answer


def _line(text: str) -> str:
    """One short line: a vendor's error page is not evidence."""
    return " ".join(text.split())[:300]


def _value(identity: AffectedIdentity) -> str:
    if identity.kind is IdentityKind.ACCESS_KEY:
        return identity.external_id
    return identity.external_id.rsplit("/", 1)[-1]  # a name from a name or an ARN


def _query(identity: AffectedIdentity, window: ActivityWindow, region: str) -> dict[str, object]:
    return {
        "operation": "LookupEvents",
        "region": region,
        "LookupAttributes": [
            {"AttributeKey": ATTRIBUTE[identity.kind], "AttributeValue": _value(identity)}
        ],
        "StartTime": iso(window.since),
        "EndTime": iso(window.until),
        "MaxResults": min(PAGE, window.max_events),
        "max_events": window.max_events,
    }


def _event(raw: dict[str, Any]) -> ActivityEvent:
    """CloudTrail's event, with its ``CloudTrailEvent`` JSON string parsed, so the
    redactor sees its fields by name."""
    record = {k: v for k, v in raw.items() if k != "CloudTrailEvent"}
    at = raw.get("EventTime")
    when = at if isinstance(at, datetime) else datetime.fromtimestamp(float(at or 0), UTC)
    record["EventTime"] = iso(when)
    detail = raw.get("CloudTrailEvent")
    if isinstance(detail, str):
        try:
            record["CloudTrailEvent"] = json.loads(detail)
        except ValueError:
            record["CloudTrailEvent"] = detail
    return ActivityEvent(
        id=str(raw.get("EventId", "")),
        name=str(raw.get("EventName", "")),
        at=when.astimezone(UTC),
        actor=str(raw.get("Username") or raw.get("AccessKeyId") or ""),
        record=record,
    )
