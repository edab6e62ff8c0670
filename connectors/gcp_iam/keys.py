"""Service account keys: disable (a toggle, rarely safe to undo) and delete."""

from __future__ import annotations

from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.gcp_iam.client import GcpClient
from connectors.gcp_iam.names import Key, key_of
from connectors.gcp_iam.specs import DELETE_KEY, DISABLE_KEY

REENABLE_UNSAFE = (
    "re-enabling a leaked key hands access back to whoever holds it: give the workload a "
    "new key, then delete this one (gcp.iam.delete_key); undo with "
    "confirm_false_positive=true only when the key was never exposed"
)


async def _key(gcp: GcpClient, key: Key) -> dict[str, Any] | None:
    return await gcp.iam("GET", key.name, f"key {key.key_id}", missing_ok=True)


def _described(key: Key, found: dict[str, Any]) -> dict[str, object]:
    return {
        "service_account": key.account.email,
        "key": key.key_id,
        "disabled": bool(found.get("disabled")),
        "key_type": found.get("keyType"),
        "valid_before": found.get("validBeforeTime"),
    }


class DisableKey:
    spec = DISABLE_KEY

    async def read(self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str]) -> State:
        key = key_of(target)
        found = await _key(gcp, key)
        if found is None:
            raise ConnectorFailure("not_found", f"key {key.name} not found")
        before = _described(key, found)
        return State(before, {} if before["disabled"] else {"disabled": True})

    async def write(
        self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        key = key_of(target)
        await gcp.iam("POST", f"{key.name}:disable", f"key {key.key_id}", json={})
        return {"service_account": key.account.email, "key": key.key_id, "disabled": True}

    async def restore(
        self,
        gcp: GcpClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        key = key_of(target)
        if snapshot.get("disabled") is not False:
            return {"key": key.key_id, "disabled": snapshot.get("disabled")}
        if params.get("confirm_false_positive") != "true":
            raise ConnectorFailure("unsafe", REENABLE_UNSAFE)
        await gcp.iam("POST", f"{key.name}:enable", f"key {key.key_id}", json={})
        return {"service_account": key.account.email, "key": key.key_id, "disabled": False}


class DeleteKey(Irreversible):
    spec = DELETE_KEY
    instead = "a deleted key cannot be brought back; create a new key for the workload"

    async def read(self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str]) -> State:
        """A key Google no longer knows counts as deleted: "already in that state"."""
        key = key_of(target)
        found = await _key(gcp, key)
        if found is None:
            return State({"key": key.key_id, "exists": False}, {})
        return State({**_described(key, found), "exists": True}, {"exists": False})

    async def write(
        self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        key = key_of(target)
        await gcp.iam("DELETE", key.name, f"key {key.key_id}", missing_ok=True)
        return {"service_account": key.account.email, "key": key.key_id, "exists": False}
