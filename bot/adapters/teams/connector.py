"""The Bot Connector v3 REST calls Blastwall makes, on the conversation's serviceUrl."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.adapters.teams.calls import Caller, TokenSource, authorized

CONNECTOR_SCOPE = "https://api.botframework.com/.default"


def _conv(conversation_id: str) -> str:
    return quote(conversation_id, safe="")


@dataclass
class BotConnector:
    caller: Caller
    tokens: TokenSource
    app_id: str
    tenant_id: str

    async def _call(self, method: str, service_url: str, path: str, body: Any = None) -> Any:
        url = f"{service_url.rstrip('/')}/v3/{path}"
        return await authorized(self.caller, self.tokens, method, url, json=body)

    async def post_to_channel(
        self, service_url: str, channel_id: str, activity: dict[str, Any]
    ) -> tuple[str, str]:
        """A new thread in a channel: (its conversation id, the activity id)."""
        answer = await self._call(
            "POST",
            service_url,
            "conversations",
            {
                "isGroup": True,
                "bot": {"id": f"28:{self.app_id}"},
                "channelData": {"channel": {"id": channel_id}, "tenant": {"id": self.tenant_id}},
                "tenantId": self.tenant_id,
                "activity": activity,
            },
        )
        conversation = str(answer["id"])
        return conversation, str(answer.get("activityId") or conversation.rpartition("=")[2])

    async def open_personal(self, service_url: str, user_id: str) -> str:
        """The 1:1 chat with a user (created if needed): its conversation id."""
        answer = await self._call(
            "POST",
            service_url,
            "conversations",
            {
                "isGroup": False,
                "bot": {"id": f"28:{self.app_id}"},
                "members": [{"id": user_id}],
                "channelData": {"tenant": {"id": self.tenant_id}},
                "tenantId": self.tenant_id,
            },
        )
        return str(answer["id"])

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        answer = await self._call(
            "POST", service_url, f"conversations/{_conv(conversation_id)}/activities", activity
        )
        return str((answer or {}).get("id", ""))

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        path = f"conversations/{_conv(conversation_id)}/activities/{quote(activity_id, safe='')}"
        await self._call("PUT", service_url, path, {**activity, "id": activity_id})

    async def member(
        self, service_url: str, conversation_id: str, member_id: str
    ) -> dict[str, Any]:
        """One member as Teams knows them (carries ``aadObjectId``)."""
        path = f"conversations/{_conv(conversation_id)}/members/{quote(member_id, safe='')}"
        return dict(await self._call("GET", service_url, path))
