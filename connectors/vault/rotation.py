"""Rotating an AppRole secret-id: a new one for the role, delivered to the playbook's
KV v2 path and read back, then the old one destroyed by its accessor.

Whether it is rotated is read from the store, as for AWS keys: the path holds a
live secret-id of the role other than the old one, and the old one is gone.
"""

from __future__ import annotations

from bot.core.identities import AffectedIdentity
from bot.core.secret_paths import render, template_problem
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.rotation import Fingerprint, Issued, Rotation, rotate
from connectors.vault.client import VaultClient, data
from connectors.vault.kv import KvStore
from connectors.vault.specs import ROTATE_SECRET_ID


class RotateSecretId(Irreversible):
    spec = ROTATE_SECRET_ID
    instead = "a rotation is not undone: the old secret-id is destroyed, the new one delivered"

    def __init__(self, fingerprint: Fingerprint | None) -> None:
        self._fingerprint = fingerprint

    def _ready(self, vault: VaultClient) -> tuple[KvStore, Fingerprint]:
        if self._fingerprint is None:
            raise ConnectorFailure("unavailable", "no keyed hash to record the delivery with")
        return KvStore(vault), self._fingerprint

    async def read(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        store, fingerprint = self._ready(vault)
        role, old = _role(target), target.external_id
        template = params.get("kv_path", "")
        if problem := template_problem(template):
            raise ConnectorFailure("invalid_params", f"kv_path: {problem}")
        values = {"owner": target.owner or role, "principal": role, "key": old}
        path = render(template, values | {"system": target.system})
        old_live = await _live(vault, role, old)
        before: dict[str, object] = {"role": role, "old_accessor": old, "old_exists": old_live}
        before["kv_path"] = path
        held = await store.get(path)
        new = held.data.get("secret_id_accessor", "") if held else ""
        if held is not None and new and new != old and await _live(vault, role, new):
            before |= {
                "new_accessor": new,
                "kv_version": held.version,
                "secret_hmac": fingerprint(held.data.get("secret_id", "")),
            }
            return State(before, {"old_exists": False} if old_live else {})
        return State(before, {"new_secret_id": "issued", "kv_path": path, "old_exists": False})

    async def write(
        self, vault: VaultClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        store, fingerprint = self._ready(vault)
        role, old, path = (str(state.before[k]) for k in ("role", "old_accessor", "kv_path"))
        rotation = Rotation(
            "new_accessor",
            issue=lambda: _issue(vault, role),
            discard=lambda accessor: _destroy(vault, role, accessor),
            retire=lambda: _destroy(vault, role, old),
        )
        if "new_accessor" in state.before:  # delivered earlier; only the old one is left
            await rotation.retire()
            done = {k: state.before[k] for k in ("new_accessor", "kv_version", "secret_hmac")}
        else:
            done = await rotate(rotation, store, path, fingerprint)
        return {"role": role, "old_accessor": old, "old_exists": False, **done}


def _role(target: AffectedIdentity) -> str:
    role = target.attribute("role")
    if not role:
        raise ConnectorFailure("invalid_target", f"{target.key} names no AppRole role")
    return role


async def _live(vault: VaultClient, role: str, accessor: str) -> bool:
    answer = await vault.call(
        "POST",
        f"auth/approle/role/{role}/secret-id-accessor/lookup",
        "secret-id",
        json={"secret_id_accessor": accessor},
        missing_ok=True,
    )
    return bool(answer and answer.get("data"))


async def _issue(vault: VaultClient, role: str) -> Issued:
    role_id = data(
        await vault.call("GET", f"auth/approle/role/{role}/role-id", f"role {role}"),
        f"role {role}",
    )["role_id"]
    issued = data(
        await vault.call("POST", f"auth/approle/role/{role}/secret-id", f"role {role}"),
        f"role {role}",
    )
    accessor = str(issued["secret_id_accessor"])
    fields = {
        "role_id": str(role_id),
        "secret_id": str(issued["secret_id"]),
        "secret_id_accessor": accessor,
    }
    return Issued(accessor, fields, "secret_id")


async def _destroy(vault: VaultClient, role: str, accessor: str) -> None:
    if not await _live(vault, role, accessor):
        return  # gone already: destroyed is what was asked
    await vault.call(
        "POST",
        f"auth/approle/role/{role}/secret-id-accessor/destroy",
        "secret-id",
        json={"secret_id_accessor": accessor},
    )
