"""Replays, retries and other workspaces at /slack/events, with real signatures."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest

from bot.adapters.slack.payloads import encode_action
from tests.adapters.conftest import SECRET, SlackRig
from tests.fakes.slack_driver import SlackDriver
from tests.scenarios.harness import eventually

pytestmark = pytest.mark.db

INCIDENT = "INC-20261201-0001"
BUTTON = encode_action(INCIDENT, "aws.iam.deactivate_access_key", "aws:access_key:AKIAEXAMPLE")


async def _send(rig: SlackRig, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(f"{rig.url}/slack/events", content=body, headers=headers)


def _signed(body: bytes, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = timestamp or int(time.time())
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": SlackDriver("http://unused", SECRET).sign(body, stamp),
    }


def _slash(text: str) -> bytes:
    return urlencode(
        {
            "team_id": "T0TEST",
            "user_id": "UALICE0001",
            "command": "/incident",
            "text": text,
            "channel_id": "CGENERAL",
            "response_url": "http://127.0.0.1:9/response_url/x",
            "trigger_id": "1.trigger",
        }
    ).encode()


def _mention(event_id: str) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEST",
            "api_app_id": "A0BLASTWALL",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": "UALICE0001", "text": "hi", "ts": "1.1"},
        }
    ).encode()


async def test_a_byte_identical_replay_has_no_effect(rig: SlackRig) -> None:
    body = _slash("open Leaked key")
    headers = _signed(body, "application/x-www-form-urlencoded")
    first = await _send(rig, body, headers)
    replay = await _send(rig, body, headers)
    assert first.status_code == replay.status_code == 200
    assert replay.content == b""
    await eventually(lambda: rig.bus.commands)
    fresh = _slash("open Another leak")
    await _send(rig, fresh, _signed(fresh, "application/x-www-form-urlencoded"))
    await eventually(lambda: len(rig.bus.commands) == 2 or None)
    assert [c.title for c in rig.bus.commands] == ["Leaked key", "Another leak"]  # type: ignore[attr-defined]


async def test_an_event_retry_is_taken_once(rig: SlackRig) -> None:
    event_id = f"Ev{uuid.uuid4().hex[:10]}"
    body = _mention(event_id)
    first = await _send(rig, body, _signed(body, "application/json"))
    retry_headers = _signed(body, "application/json", int(time.time()) - 1)
    retry_headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    retry = await _send(rig, body, retry_headers)
    assert first.status_code == retry.status_code == 200
    other = _mention(f"Ev{uuid.uuid4().hex[:10]}")
    await _send(rig, other, _signed(other, "application/json"))
    await eventually(lambda: rig.stand_in.calls.count("chat.postMessage") >= 2 or None)
    assert rig.stand_in.calls.count("chat.postMessage") == 2


async def test_a_click_from_another_workspace_is_refused_and_recorded(rig: SlackRig) -> None:
    foreign = SlackDriver(rig.url, SECRET, team_id="T0ELSEWHERE")
    response = await foreign.click("UMALLORY01", BUTTON, "bw.act.0", "C1", "1.1")
    assert response.status_code == 403
    assert "T0ELSEWHERE" in response.json()["detail"]
    assert rig.bus.commands == []
    ((incident, user, reason),) = rig.refusals
    assert (incident, user) == (INCIDENT, "UMALLORY01")
    assert "SLACK_TEAM_ID" in reason


async def test_a_slash_command_from_another_workspace_is_refused(rig: SlackRig) -> None:
    foreign = SlackDriver(rig.url, SECRET, team_id="T0ELSEWHERE")
    response = await foreign.slash_command("UMALLORY01", "open Leak")
    assert response.status_code == 403
    assert rig.bus.commands == [] and rig.refusals == []


async def test_a_garbled_timestamp_is_a_401_not_a_500(rig: SlackRig) -> None:
    body = _slash("open Leak")
    headers = _signed(body, "application/x-www-form-urlencoded") | {
        "X-Slack-Request-Timestamp": "soon"
    }
    assert (await _send(rig, body, headers)).status_code == 401
    assert rig.bus.commands == []


async def test_text_that_merely_looks_like_json_is_still_text(rig: SlackRig) -> None:
    response = await rig.driver.slash_command("UALICE0001", '{"open": [NaN, "key"')
    assert response.status_code == 200
    reply = await eventually(lambda: rig.stand_in.responses)
    assert "Usage" in reply[0]["text"]
