"""A request-level CloudTrail stand-in for ``LookupEvents`` (moto does not implement it).

It speaks the AWS JSON 1.1 protocol as botocore sends it: ``POST /`` with
``X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents``
and ``Content-Type: application/x-amz-json-1.1``; answers
``{"Events": [...], "NextToken": ...}`` with ``EventTime`` in epoch seconds and
``CloudTrailEvent`` as a JSON string; errors as ``{"__type": ..., "message": ...}``
with HTTP 400 (``ThrottlingException``, ``InvalidLookupAttributesException``,
``InvalidTimeRangeException``, ``InvalidNextTokenException``,
``InvalidMaxResultsException``). Newest events come first, as CloudTrail answers.

Tests add events, make it throttle the next calls, and read the calls it received.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
JSON_11 = "application/x-amz-json-1.1"
KEYS = {
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
}


@dataclass
class TrailEvent:
    event_id: str
    name: str
    at: datetime
    access_key_id: str
    username: str
    source: str = "iam.amazonaws.com"
    read_only: bool = True
    resources: list[dict[str, str]] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def attribute(self, key: str) -> set[str]:
        return {
            "EventId": {self.event_id},
            "EventName": {self.name},
            "ReadOnly": {str(self.read_only).lower()},
            "Username": {self.username},
            "EventSource": {self.source},
            "AccessKeyId": {self.access_key_id},
            "ResourceName": {r.get("ResourceName", "") for r in self.resources},
            "ResourceType": {r.get("ResourceType", "") for r in self.resources},
        }[key]

    def wire(self) -> dict[str, Any]:
        return {
            "EventId": self.event_id,
            "EventName": self.name,
            "ReadOnly": str(self.read_only).lower(),
            "AccessKeyId": self.access_key_id,
            "EventTime": self.at.timestamp(),
            "EventSource": self.source,
            "Username": self.username,
            "Resources": self.resources,
            "CloudTrailEvent": json.dumps(self.detail),
        }


def _error(kind: str, message: str) -> JSONResponse:
    return JSONResponse({"__type": kind, "message": message}, status_code=400, media_type=JSON_11)


class CloudTrailStandIn:
    def __init__(self) -> None:
        self.events: list[TrailEvent] = []
        self.calls: list[dict[str, Any]] = []  # each LookupEvents body received
        self.throttles: list[int] = []  # the call numbers (1-based) answered with a throttle
        self._throttle_at: set[int] = set()
        self._failure: tuple[str, str] | None = None
        self.page_size = 50  # CloudTrail may answer fewer than MaxResults, with a NextToken
        self._ids = itertools.count(1)
        self._tokens: dict[str, tuple[str, int]] = {}  # token -> (query digest, offset)
        self.app = self._build()

    # --- arranging --------------------------------------------------------------

    def add_event(
        self, name: str, at: datetime, access_key_id: str, username: str, **detail: Any
    ) -> TrailEvent:
        event = TrailEvent(
            f"ev-{next(self._ids):08d}",
            name,
            at,
            access_key_id,
            username,
            detail={"eventName": name, "userIdentity": {"accessKeyId": access_key_id}, **detail},
        )
        self.events.append(event)
        return event

    def throttle_call(self, number: int) -> None:
        """Answer the ``number``-th call (1-based, counting every call) with a throttle."""
        self._throttle_at.add(number)

    def fail_always(self, kind: str, message: str) -> None:
        self._failure = (kind, message)

    # --- the API ------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/")
        async def dispatch(request: Request) -> Response:
            if request.headers.get("x-amz-target") != TARGET:
                return _error("UnknownOperationException", "only LookupEvents is served here")
            if not request.headers.get("content-type", "").startswith(JSON_11):
                return _error("SerializationException", "expected application/x-amz-json-1.1")
            body = json.loads(await request.body() or b"{}")
            self.calls.append(body)
            if len(self.calls) in self._throttle_at:
                self.throttles.append(len(self.calls))
                return _error("ThrottlingException", "Rate exceeded")
            if self._failure is not None:
                return _error(*self._failure)
            return self._lookup(body)

        return app

    def _lookup(self, body: dict[str, Any]) -> Response:
        attributes = body.get("LookupAttributes") or []
        if len(attributes) > 1 or any(a.get("AttributeKey") not in KEYS for a in attributes):
            return _error(
                "InvalidLookupAttributesException",
                "LookupAttributes takes one attribute of the supported keys",
            )
        size = int(body.get("MaxResults", 50))
        if not 1 <= size <= 50:
            return _error("InvalidMaxResultsException", "MaxResults must be 1..50")
        start = _time(body.get("StartTime"), datetime.min.replace(tzinfo=UTC))
        end = _time(body.get("EndTime"), datetime.now(UTC))
        if start > end:
            return _error("InvalidTimeRangeException", "StartTime is after EndTime")
        digest = json.dumps({k: v for k, v in body.items() if k != "NextToken"}, sort_keys=True)
        offset = 0
        if "NextToken" in body:
            found = self._tokens.get(str(body["NextToken"]))
            if found is None or found[0] != digest:
                return _error("InvalidNextTokenException", "the token is not for this query")
            offset = found[1]
        matched = self._matching(attributes, start, end)
        size = min(size, self.page_size)
        page = matched[offset : offset + size]
        answer: dict[str, Any] = {"Events": [e.wire() for e in page]}
        if offset + size < len(matched):
            token = f"tok-{next(self._ids)}"
            self._tokens[token] = (digest, offset + size)
            answer["NextToken"] = token
        return JSONResponse(answer, media_type=JSON_11)

    def _matching(
        self, attributes: list[dict[str, str]], start: datetime, end: datetime
    ) -> list[TrailEvent]:
        found = [
            e
            for e in self.events
            if start <= e.at <= end
            and all(a.get("AttributeValue") in e.attribute(a["AttributeKey"]) for a in attributes)
        ]
        return sorted(found, key=lambda e: e.at, reverse=True)


def _time(value: object, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value))
