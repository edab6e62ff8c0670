"""Plays Slack's side of /slack/events: real-shaped payloads, signed with v0 HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.fakes.slack_api import Message


class SlackDriver:
    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        team_id: str = "T0TEST",
        response_base: str = "http://127.0.0.1:9/response_url",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = signing_secret
        self.team_id = team_id
        self.response_base = response_base

    def sign(self, body: bytes, timestamp: int) -> str:
        base = b"v0:" + str(timestamp).encode() + b":" + body
        return "v0=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        forge: bool = False,
        skew_s: int = 0,
        retry_num: int | None = None,
    ) -> httpx.Response:
        timestamp = int(time.time()) + skew_s
        signature = self.sign(body, timestamp)
        if forge:
            signature = "v0=" + "0" * 64
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature,
        }
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(f"{self.base_url}/slack/events", content=body, headers=headers)

    async def slash_command(
        self,
        user_id: str,
        text: str,
        *,
        command: str = "/incident",
        channel_id: str = "CGENERAL",
        trigger_id: str | None = None,
        **options: Any,
    ) -> httpx.Response:
        form = {
            "token": "deprecated-verification-token",
            "team_id": self.team_id,
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0BLASTWALL",
            "is_enterprise_install": "false",
            "response_url": f"{self.response_base}/{uuid.uuid4().hex}",
            "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**10}.trigger",
        }
        return await self.post(
            urlencode(form).encode(), "application/x-www-form-urlencoded", **options
        )

    async def click(
        self,
        user_id: str,
        value: str,
        action_id: str,
        channel_id: str,
        message_ts: str,
        trigger_id: str | None = None,
        **options: Any,
    ) -> httpx.Response:
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "test"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0BLASTWALL",
            "token": "deprecated-verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**10}.trigger",
            "channel": {"id": channel_id, "name": "incident"},
            "message": {"type": "message", "ts": message_ts, "text": "card"},
            "response_url": f"{self.response_base}/{uuid.uuid4().hex}",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "bw.actions.0",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                    "text": {"type": "plain_text", "text": "button"},
                }
            ],
        }
        return await self._payload(payload, **options)

    async def view_submission(
        self,
        user_id: str,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        private_metadata: str = "",
        **options: Any,
    ) -> httpx.Response:
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "test"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0BLASTWALL",
            "token": "deprecated-verification-token",
            "trigger_id": f"{uuid.uuid4().int % 10**10}.trigger",
            "view": {
                "id": "V0VIEW",
                "type": "modal",
                "callback_id": callback_id,
                "team_id": self.team_id,
                "state": {"values": values},
                "private_metadata": private_metadata,
            },
        }
        return await self._payload(payload, **options)

    async def mention(
        self, user_id: str, text: str, channel_id: str = "CGENERAL", **options: Any
    ) -> httpx.Response:
        """An ``app_mention`` event, as the Events API delivers it."""
        body = {
            "type": "event_callback",
            "team_id": self.team_id,
            "api_app_id": "A0BLASTWALL",
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": user_id,
                "text": f"<@UBLASTWALL> {text}",
                "channel": channel_id,
                "ts": f"{time.time():.6f}",
            },
        }
        return await self.post(json.dumps(body).encode(), "application/json", **options)

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, **options: Any
    ) -> httpx.Response:
        """Any Events API event, wrapped as Slack wraps it (``event_callback``)."""
        body = {
            "type": "event_callback",
            "team_id": self.team_id,
            "api_app_id": "A0BLASTWALL",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "event": {"team": self.team_id, **event},
        }
        return await self.post(json.dumps(body).encode(), "application/json", **options)

    async def message(
        self, said: Message, channel_type: str = "group", **options: Any
    ) -> httpx.Response:
        """A person's message (``message.groups`` for a private channel), a reply
        when it is in a thread."""
        event = {
            "type": "message",
            "channel": said.channel,
            "user": said.user,
            "text": said.text,
            "ts": said.ts,
            "event_ts": said.ts,
            "channel_type": channel_type,
            "client_msg_id": str(uuid.uuid4()),
        }
        if said.thread_ts:
            event |= {"thread_ts": said.thread_ts, "parent_user_id": said.user}
        return await self.event(event, **options)

    async def message_changed(
        self, said: Message, previous_text: str, channel_type: str = "group", **options: Any
    ) -> httpx.Response:
        """An edit (``said`` as it is now, ``edited_ts`` set by the stand-in)."""
        now = {"type": "message", "user": said.user, "text": said.text, "ts": said.ts}
        if said.thread_ts:
            now["thread_ts"] = said.thread_ts
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "channel": said.channel,
            "ts": said.edited_ts,
            "event_ts": said.edited_ts,
            "channel_type": channel_type,
            "message": {**now, "edited": {"user": said.user, "ts": said.edited_ts}},
            "previous_message": {**now, "text": previous_text},
        }
        return await self.event(event, **options)

    async def message_deleted(
        self, said: Message, deleted_at: str, channel_type: str = "group", **options: Any
    ) -> httpx.Response:
        """A deletion: Slack sends the deleted message, not who deleted it."""
        previous = {"type": "message", "user": said.user, "text": said.text, "ts": said.ts}
        if said.thread_ts:
            previous["thread_ts"] = said.thread_ts
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "channel": said.channel,
            "ts": deleted_at,
            "deleted_ts": said.ts,
            "event_ts": deleted_at,
            "channel_type": channel_type,
            "previous_message": previous,
        }
        return await self.event(event, **options)

    async def _payload(self, payload: dict[str, Any], **options: Any) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **options)
