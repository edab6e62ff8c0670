"""Conversation references: where Blastwall may write to a team or a person later.

Teams lets a bot start a 1:1 chat or post in a team only with the ``serviceUrl``
and ids it learned from an earlier activity (the install, or a first message), so
they are kept in the database, not in one replica's memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ConversationRef:
    key: str  # team:<id> | personal:<aadObjectId> | user:<aadObjectId>
    kind: str
    service_url: str
    conversation_id: str = ""
    tenant_id: str = ""
    team_id: str = ""
    user_aad: str = ""
    user_id: str = ""  # the 29:… id Teams gives the user in this tenant
    name: str = ""


class ConversationRefs(Protocol):
    async def remember(self, ref: ConversationRef) -> None:
        """Insert or replace the reference under its key."""
        ...

    async def get(self, key: str) -> ConversationRef | None: ...

    async def any_service_url(self) -> str | None:
        """A serviceUrl seen lately, for a team that has not been seen itself."""
        ...


async def names_of(refs: ConversationRefs, *principals: str | None) -> dict[str, str]:
    """The names Teams last gave these people, for ``<at>`` mentions (display only)."""
    names: dict[str, str] = {}
    for principal in principals:
        if principal and principal.startswith("teams:"):
            ref = await refs.get(f"user:{principal.partition(':')[2]}")
            if ref is not None and ref.name:
                names[principal] = ref.name
    return names


def from_activity(activity: dict[str, object], team_id: str | None) -> list[ConversationRef]:
    """The references an inbound activity teaches: the sender, their 1:1 chat, the team."""
    service_url = str(activity.get("serviceUrl") or "")
    conversation = _dict(activity.get("conversation"))
    sender = _dict(activity.get("from"))
    channel_data = _dict(activity.get("channelData"))
    tenant = str(_dict(channel_data.get("tenant")).get("id") or conversation.get("tenantId") or "")
    aad = str(sender.get("aadObjectId") or "")
    refs: list[ConversationRef] = []
    if aad:
        user = {
            "user_aad": aad,
            "user_id": str(sender.get("id", "")),
            "name": str(sender.get("name", "")),
        }
        refs.append(ConversationRef(f"user:{aad}", "user", service_url, tenant_id=tenant, **user))
        if conversation.get("conversationType") == "personal":
            refs.append(
                ConversationRef(
                    f"personal:{aad}",
                    "personal",
                    service_url,
                    str(conversation.get("id", "")),
                    tenant,
                    **user,
                )
            )
    team = str(_dict(channel_data.get("team")).get("id") or "")
    if team and (team_id is None or team == team_id):
        refs.append(ConversationRef(f"team:{team}", "team", service_url, team, tenant, team))
    return refs


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}
