"""Removing an application's client secret by its keyId: irreversible, since Entra
shows a secret's text only when it is created. The plan names the credential by
what Entra shows of it (display name, hint, end date), never the secret."""

from __future__ import annotations

from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.entra.client import GraphClient
from connectors.entra.principals import entra_only
from connectors.entra.specs import REMOVE_CLIENT_SECRET

_SELECT = "$select=id,appId,displayName,passwordCredentials"


class RemoveClientSecret(Irreversible):
    spec = REMOVE_CLIENT_SECRET
    instead = "a removed secret cannot be brought back: add a new one and give it to the workload"

    async def read(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        key_id = entra_only(target)
        app = await self._application(graph, target)
        match = [c for c in app.get("passwordCredentials") or [] if c.get("keyId") == key_id]
        before: dict[str, object] = {
            "application": app.get("id"),
            "application_name": app.get("displayName"),
            "present": bool(match),
        }
        if match:
            before |= {
                "display_name": match[0].get("displayName"),
                "hint": match[0].get("hint"),
                "end": match[0].get("endDateTime"),
            }
        return State(before, {"present": False} if match else {})

    async def write(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        app_object = state.before["application"]
        await graph.call(
            "POST",
            f"applications/{app_object}/removePassword",
            f"application {app_object}",
            json={"keyId": target.external_id},
        )
        return {"application": app_object, "present": False}

    async def _application(self, graph: GraphClient, target: AffectedIdentity) -> dict[str, Any]:
        """By object id (``application``) or by client id (``app_id``)."""
        object_id, client_id = target.attribute("application"), target.attribute("app_id")
        if object_id:
            return await graph.found(f"applications/{object_id}?{_SELECT}", "the application")
        if client_id:
            return await graph.found(
                f"applications(appId='{client_id}')?{_SELECT}", "the application"
            )
        raise ConnectorFailure(
            "invalid_target",
            f"{target.key}: name the secret's application (attribute application or app_id)",
        )
