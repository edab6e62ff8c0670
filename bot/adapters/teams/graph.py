"""Microsoft Graph: the incident channel. Bot Framework cannot create channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.adapters.teams.calls import Caller, TokenSource, authorized

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MAX_NAME = 50  # Graph's limit on a channel's displayName
MAX_PRIVATE_MEMBERS = 200  # Graph's limit on members named at creation


def channel_name(incident_id: str) -> str:
    """Built from the incident id alone: user text never names a channel."""
    return f"Incident {incident_id}"[:MAX_NAME]


@dataclass
class Graph:
    caller: Caller
    tokens: TokenSource
    url: str

    async def create_channel(
        self,
        team_id: str,
        name: str,
        description: str,
        owner: str | None,
        members: Sequence[str],
        private: bool,
    ) -> str:
        """The new channel's id (``19:…@thread.tacv2``). A private channel gets the
        responders as members; Graph wants at least one owner among them."""
        body: dict[str, Any] = {
            "displayName": name,
            "description": description[:1024],
            "membershipType": "private" if private else "standard",
        }
        if private:
            people = [owner] if owner else []
            people += [m for m in dict.fromkeys(members) if m != owner]
            body["members"] = [
                self._member(aad, aad == owner or (owner is None and i == 0))
                for i, aad in enumerate(people[:MAX_PRIVATE_MEMBERS])
            ]
        url = f"{self.url.rstrip('/')}/teams/{quote(team_id, safe='')}/channels"
        answer = await authorized(self.caller, self.tokens, "POST", url, json=body)
        return str(answer["id"])

    def _member(self, aad_object_id: str, owner: bool) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "user@odata.bind": f"{self.url.rstrip('/')}/users('{aad_object_id}')",
            "roles": ["owner"] if owner else [],
        }
