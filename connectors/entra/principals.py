"""Service principals and users: disable (a toggle whose undo is guarded) and sign-in
session revocation (irreversible: the person signs in again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.entra.client import GraphClient
from connectors.entra.specs import CONNECTOR, DISABLE_SERVICE_PRINCIPAL, REVOKE_USER_SESSIONS

REENABLE_UNSAFE = (
    "re-enabling lets whoever holds its credentials sign in again: remove the exposed "
    "credentials first ({}) (entra.remove_client_secret), or undo with "
    "confirm_false_positive=true when none was ever exposed"
)
# A revocation this recent counts as done: a re-click does not sign the person out again.
RECENT = timedelta(minutes=10)


def entra_only(target: AffectedIdentity) -> str:
    """The target's Graph id, once it is an Entra identity."""
    if target.system != CONNECTOR:
        raise ConnectorFailure("invalid_target", f"{target.key} is not an Entra identity")
    return target.external_id


def credential_ids(*holders: dict[str, Any] | None) -> list[str]:
    """The keyIds of every secret and certificate on the app and its principal."""
    found: list[str] = []
    for holder in holders:
        for field in ("passwordCredentials", "keyCredentials"):
            found += [str(c.get("keyId")) for c in (holder or {}).get(field) or []]
    return sorted(set(found))


class DisableServicePrincipal:
    spec = DISABLE_SERVICE_PRINCIPAL

    async def read(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        principal = await self._principal(graph, entra_only(target))
        enabled = bool(principal.get("accountEnabled", True))
        before: dict[str, object] = {
            "display_name": principal.get("displayName"),
            "app_id": principal.get("appId"),
            "account_enabled": enabled,
            "credentials": credential_ids(principal, await self._application(graph, principal)),
        }
        return State(before, {"account_enabled": False} if enabled else {})

    async def write(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await self._set(graph, target.external_id, enabled=False)
        return {"account_enabled": False}

    async def restore(
        self,
        graph: GraphClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        """Re-enable only once the credentials it had when disabled are gone."""
        if not snapshot.get("account_enabled", True):
            return {"account_enabled": False}
        principal = await self._principal(graph, entra_only(target))
        now = credential_ids(principal, await self._application(graph, principal))
        held = [k for k in now if k in set(_strings(snapshot.get("credentials")))]
        if held and params.get("confirm_false_positive") != "true":
            raise ConnectorFailure("unsafe", REENABLE_UNSAFE.format(", ".join(held)))
        await self._set(graph, target.external_id, enabled=True)
        return {"account_enabled": True}

    async def _principal(self, graph: GraphClient, sp_id: str) -> dict[str, Any]:
        select = "id,appId,displayName,accountEnabled,passwordCredentials,keyCredentials"
        return await graph.found(
            f"servicePrincipals/{sp_id}?$select={select}", f"service principal {sp_id}"
        )

    async def _application(
        self, graph: GraphClient, principal: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The app registration, when it lives in this tenant (a multi-tenant app's does not)."""
        app_id = principal.get("appId")
        if not app_id:
            return None
        return await graph.call(
            "GET",
            f"applications(appId='{app_id}')?$select=id,passwordCredentials,keyCredentials",
            f"application {app_id}",
            missing_ok=True,
        )

    async def _set(self, graph: GraphClient, sp_id: str, *, enabled: bool) -> None:
        await graph.call(
            "PATCH",
            f"servicePrincipals/{sp_id}",
            f"service principal {sp_id}",
            json={"accountEnabled": enabled},
        )


class RevokeUserSessions(Irreversible):
    """For a person who also signs in to a shared account: their refresh tokens and
    browser sessions end, so the account's abuser cannot ride on them."""

    spec = REVOKE_USER_SESSIONS
    instead = "revoked sessions cannot be restored; the person signs in again"

    async def read(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        user_id = entra_only(target)
        user = await graph.found(
            f"users/{user_id}?$select=id,userPrincipalName,signInSessionsValidFromDateTime",
            f"user {user_id}",
        )
        valid_from = user.get("signInSessionsValidFromDateTime")
        before: dict[str, object] = {
            "user_principal_name": user.get("userPrincipalName"),
            "sessions_valid_from": valid_from,
        }
        recent = _parsed(valid_from) > datetime.now(UTC) - RECENT
        return State(before, {} if recent else {"sessions_valid_from": "now"})

    async def write(
        self, graph: GraphClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        answer = await graph.call(
            "POST", f"users/{target.external_id}/revokeSignInSessions", "sign-in sessions"
        )
        return {"revoked": bool((answer or {}).get("value", True))}


def _parsed(value: object) -> datetime:
    if not isinstance(value, str) or not value:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
