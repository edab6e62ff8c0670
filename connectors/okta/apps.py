"""Okta service apps (OAuth clients): deactivate (a toggle) and revoke their refresh
tokens (irreversible)."""

from __future__ import annotations

from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.okta.client import OktaClient
from connectors.okta.specs import DEACTIVATE_APP, REVOKE_APP_TOKENS
from connectors.okta.users import okta_id


async def app(okta: OktaClient, target: AffectedIdentity) -> dict[str, Any]:
    app_id = okta_id(target)
    found = await okta.call("GET", f"api/v1/apps/{app_id}", f"app {app_id}", missing_ok=True)
    if not isinstance(found, dict):
        raise ConnectorFailure("not_found", f"app {app_id} not found")
    return found


class DeactivateApp:
    """Stops new tokens for the app; access tokens already issued run to their expiry."""

    spec = DEACTIVATE_APP

    async def read(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        found = await app(okta, target)
        before: dict[str, object] = {"label": found.get("label"), "status": found.get("status")}
        return State(before, {} if before["status"] == "INACTIVE" else {"status": "INACTIVE"})

    async def write(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await okta.call("POST", f"api/v1/apps/{target.external_id}/lifecycle/deactivate", "app")
        return {"status": "INACTIVE"}

    async def restore(
        self,
        okta: OktaClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        if snapshot.get("status") != "ACTIVE":
            return {"status": snapshot.get("status")}
        await okta.call("POST", f"api/v1/apps/{okta_id(target)}/lifecycle/activate", "app")
        return {"status": "ACTIVE"}


class RevokeAppTokens(Irreversible):
    spec = REVOKE_APP_TOKENS
    instead = "revoked refresh tokens cannot be brought back; the clients authorize again"

    async def read(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        found = await app(okta, target)
        tokens = await okta.call(
            "GET", f"api/v1/apps/{target.external_id}/tokens", "app tokens", params={"limit": "200"}
        )
        live = [t for t in tokens or [] if t.get("status") == "ACTIVE"]
        before: dict[str, object] = {"label": found.get("label"), "refresh_tokens": len(live)}
        return State(before, {"refresh_tokens": 0} if live else {})

    async def write(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await okta.call("DELETE", f"api/v1/apps/{target.external_id}/tokens", "app tokens")
        return {"refresh_tokens": 0}
