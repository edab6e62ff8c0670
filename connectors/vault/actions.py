"""The Vault actions: read the state, write the change, restore when that is safe."""

from __future__ import annotations

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.vault.client import VaultClient, data
from connectors.vault.specs import DESTROY_SECRET_ID, DISABLE_ENTITY, REVOKE_LEASES, REVOKE_TOKEN

GONE = "a revoked credential cannot be brought back; issue a new one to the workload"


class RevokeToken(Irreversible):
    spec = REVOKE_TOKEN
    instead = GONE

    async def read(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        answer = await vault.call(
            "POST",
            "auth/token/lookup-accessor",
            "token accessor",
            json={"accessor": target.external_id},
            missing_ok=True,
        )
        if answer is None:
            return State({"live": False}, {})
        token = data(answer, "token accessor")
        before: dict[str, object] = {
            "live": True,
            "policies": token.get("policies"),
            "entity_id": token.get("entity_id"),
            "expire_time": token.get("expire_time"),
        }
        return State(before, {"live": False})

    async def write(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await vault.call(
            "POST",
            "auth/token/revoke-accessor",
            "token accessor",
            json={"accessor": target.external_id},
        )
        return {"live": False}


class RevokeLeases(Irreversible):
    spec = REVOKE_LEASES
    instead = GONE

    def _prefix(self, target: AffectedIdentity) -> str:
        if target.attribute("vault_object") not in (None, "lease_prefix"):
            raise ConnectorFailure("invalid_target", f"{target.key} is not a lease prefix")
        return target.external_id.strip("/")

    async def read(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        prefix = self._prefix(target)
        answer = await vault.call(
            "GET",
            f"sys/leases/lookup/{prefix}/",
            "lease prefix",
            params={"list": "true"},
            missing_ok=True,
        )
        keys = (answer or {}).get("data", {}).get("keys", []) if answer else []
        before: dict[str, object] = {"prefix": prefix, "leases": len(keys)}
        return State(before, {"leases": 0} if keys else {})

    async def write(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        prefix = self._prefix(target)
        await vault.call("PUT", f"sys/leases/revoke-prefix/{prefix}", "lease prefix")
        return {"prefix": prefix, "leases": 0}


class DisableEntity:
    spec = DISABLE_ENTITY

    async def read(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        entity = data(
            await vault.call(
                "GET", f"identity/entity/id/{target.external_id}", "entity", missing_ok=True
            ),
            f"entity {target.external_id}",
        )
        disabled = bool(entity.get("disabled"))
        before: dict[str, object] = {"name": entity.get("name"), "disabled": disabled}
        return State(before, {} if disabled else {"disabled": True})

    async def write(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await vault.call(
            "POST", f"identity/entity/id/{target.external_id}", "entity", json={"disabled": True}
        )
        return {"disabled": True}

    async def restore(
        self,
        vault: VaultClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        """Re-enabling an entity revives every token it still has: refuse until none is live."""
        live = await self._live_tokens(vault, target.external_id)
        if live:
            raise ConnectorFailure(
                "unsafe",
                f"{live} token(s) of this entity are still live; revoke them first, then re-enable",
            )
        disabled = bool(snapshot.get("disabled"))
        await vault.call(
            "POST",
            f"identity/entity/id/{target.external_id}",
            "entity",
            json={"disabled": disabled},
        )
        return {"disabled": disabled}

    async def _live_tokens(self, vault: VaultClient, entity_id: str) -> int:
        answer = await vault.call(
            "GET", "auth/token/accessors", "token accessors", params={"list": "true"}
        )
        live = 0
        for accessor in (answer or {}).get("data", {}).get("keys", []):
            found = await vault.call(
                "POST",
                "auth/token/lookup-accessor",
                "token accessor",
                json={"accessor": accessor},
                missing_ok=True,
            )
            if found and found.get("data", {}).get("entity_id") == entity_id:
                live += 1
        return live


class DestroySecretId(Irreversible):
    spec = DESTROY_SECRET_ID
    instead = GONE

    def _role(self, target: AffectedIdentity) -> str:
        role = target.attribute("role")
        if not role:
            raise ConnectorFailure("invalid_target", f"{target.key} names no AppRole role")
        return role

    async def read(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        role = self._role(target)
        answer = await vault.call(
            "POST",
            f"auth/approle/role/{role}/secret-id-accessor/lookup",
            "secret-id",
            json={"secret_id_accessor": target.external_id},
            missing_ok=True,
        )
        if answer is None or not answer.get("data"):
            return State({"role": role, "exists": False}, {})
        return State({"role": role, "exists": True}, {"exists": False})

    async def write(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        role = self._role(target)
        await vault.call(
            "POST",
            f"auth/approle/role/{role}/secret-id-accessor/destroy",
            "secret-id",
            json={"secret_id_accessor": target.external_id},
        )
        return {"role": role, "exists": False}
