"""Plays Teams' side of /api/messages: real-shaped activities with signed bearer tokens."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.fakes.teams_service import APP_ID, TEAM_ID, TENANT_ID, Member, TeamsStandIn

BOT = {"id": f"28:{APP_ID}", "name": "Blastwall"}


class TeamsDriver:
    def __init__(self, base_url: str, stand_in: TeamsStandIn) -> None:
        self.base_url = base_url.rstrip("/")
        self.teams = stand_in

    def _activity(
        self, kind: str, sender: Member | None, conversation: dict[str, Any]
    ) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "type": kind,
            "id": uuid.uuid4().hex,
            "channelId": "msteams",
            "serviceUrl": self.teams.service_url,
            "timestamp": "2026-12-01T03:00:00.000Z",
            "recipient": BOT,
            "conversation": {"tenantId": TENANT_ID, **conversation},
            "channelData": {"tenant": {"id": TENANT_ID}},
        }
        if sender is not None:
            activity["from"] = {
                "id": sender.user_id,
                "name": sender.name,
                "aadObjectId": sender.aad,
            }
        return activity

    def in_team(self, kind: str, sender: Member | None, channel: str = TEAM_ID) -> dict[str, Any]:
        activity = self._activity(
            kind, sender, {"id": channel, "conversationType": "channel", "isGroup": True}
        )
        activity["channelData"].update({"team": {"id": TEAM_ID}, "channel": {"id": channel}})
        return activity

    def personal(self, kind: str, sender: Member) -> dict[str, Any]:
        return self._activity(
            kind, sender, {"id": f"a:chat-{sender.aad}", "conversationType": "personal"}
        )

    def installed(self, by: Member) -> dict[str, Any]:
        activity = self.in_team("conversationUpdate", by)
        activity["membersAdded"] = [BOT]
        activity["channelData"]["eventType"] = "teamMemberAdded"
        return activity

    def said(self, activity: dict[str, Any], text: str, *mentions: Member) -> dict[str, Any]:
        entities = [{"type": "mention", "text": "<at>Blastwall</at>", "mentioned": BOT}]
        entities += [
            {
                "type": "mention",
                "text": f"<at>{m.name}</at>",
                "mentioned": {"id": m.user_id, "name": m.name},
            }
            for m in mentions
        ]
        return {**activity, "text": f"<at>Blastwall</at> {text}", "entities": entities}

    def clicked(self, activity: dict[str, Any], verb: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            **activity,
            "name": "adaptiveCard/action",
            "value": {
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "trigger": "manual",
            },
        }

    async def post(
        self, activity: dict[str, Any], token: str | None = None, **claims: Any
    ) -> httpx.Response:
        token = token if token is not None else self.teams.mint(**claims)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(
                f"{self.base_url}/api/messages", json=activity, headers=headers
            )
