"""Okta API tokens (SSWS): revoking one is irreversible; its metadata names its
owner and client, never its value."""

from __future__ import annotations

from bot.core.identities import AffectedIdentity
from connectors.base import Irreversible, State
from connectors.okta.client import OktaClient
from connectors.okta.specs import REVOKE_API_TOKEN
from connectors.okta.users import okta_id


class RevokeApiToken(Irreversible):
    spec = REVOKE_API_TOKEN
    instead = "a revoked API token cannot be brought back; its owner creates a new one"

    async def read(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        token_id = okta_id(target)
        found = await okta.call(
            "GET", f"api/v1/api-tokens/{token_id}", "API token", missing_ok=True
        )
        if not isinstance(found, dict):
            return State({"active": False}, {})
        before: dict[str, object] = {
            "active": True,
            "name": found.get("name"),
            "owner": found.get("userId"),
            "client": found.get("clientName"),
            "expires": found.get("expiresAt"),
        }
        return State(before, {"active": False})

    async def write(
        self, okta: OktaClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await okta.call(
            "DELETE", f"api/v1/api-tokens/{target.external_id}", "API token", missing_ok=True
        )
        return {"active": False}
