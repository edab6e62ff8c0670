"""Rotating an access key, and freeing a slot for it (AWS allows two keys per user).

Rotation is the way out of "deactivated, but the workload needs a key": a new key
is created, delivered to the playbook's KV v2 path and read back, and only then is
the leaked one deactivated (``connectors.rotation``). Whether a key is rotated is
read from the store: the path holds a different key of the same user, which is
Active, while the old one is Inactive. So a retry after a half-done rotation
resumes it (it only retires the old key), and the read-back checks all three.
"""

from __future__ import annotations

from bot.core.identities import AffectedIdentity
from bot.core.secret_paths import render, template_problem
from connectors.aws_iam.calls import IamCalls
from connectors.aws_iam.specs import DELETE_INACTIVE_ACCESS_KEY, ROTATE_ACCESS_KEY
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.rotation import Fingerprint, Issued, Rotation, rotate
from connectors.vault.kv import KvStore

DELETE_INACTIVE = DELETE_INACTIVE_ACCESS_KEY.id


async def user_keys(iam: IamCalls, user: str) -> dict[str, str]:
    """The user's access keys: id -> Active | Inactive."""
    keys = await iam.call(lambda c: c.list_access_keys(UserName=user), f"user {user}")
    return {str(k["AccessKeyId"]): str(k["Status"]) for k in keys["AccessKeyMetadata"]}


def _at_limit(user: str, keys: dict[str, str], old: str) -> ConnectorFailure:
    others = {k: s for k, s in keys.items() if k != old}
    inactive = sorted(k for k, s in others.items() if s == "Inactive")
    said = f"{user} already has two access keys, AWS's limit, so no new key can be created"
    if inactive:
        return ConnectorFailure(
            "limit_exceeded",
            f"{said}; its other key {inactive[0]} is inactive: delete it with "
            f"{DELETE_INACTIVE} (Delete inactive key), then rotate again",
        )
    return ConnectorFailure(
        "limit_exceeded",
        f"{said}; its other key {', '.join(sorted(others))} is Active, so Blastwall "
        "will not delete it: retire it by hand, then rotate again",
    )


class RotateKey(Irreversible):
    spec = ROTATE_ACCESS_KEY
    instead = (
        "a rotation is not undone: the workload has the new key; the old one stays "
        "inactive (delete it once the workload runs on the new one)"
    )

    def __init__(self, store: KvStore | None, fingerprint: Fingerprint | None) -> None:
        self._store = store
        self._fingerprint = fingerprint

    def _ready(self) -> tuple[KvStore, Fingerprint]:
        if self._store is None or self._fingerprint is None:
            raise ConnectorFailure(
                "unavailable",
                "no secret store to deliver the new key to: set BLASTWALL_VAULT_ADDR and "
                "BLASTWALL_VAULT_TOKEN",
            )
        return self._store, self._fingerprint

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        store, fingerprint = self._ready()
        old = target.external_id
        user = await iam.key_owner(target)
        keys = await user_keys(iam, user)
        if old not in keys:
            raise ConnectorFailure("not_found", f"access key {old} not found for user {user}")
        template = params.get("kv_path", "")
        if problem := template_problem(template):
            raise ConnectorFailure("invalid_params", f"kv_path: {problem}")
        path = render(
            template,
            {"owner": target.owner or user, "principal": user, "key": old, "system": target.system},
        )
        before: dict[str, object] = {
            "user": user,
            "old_key_id": old,
            "old_status": keys[old],
            "kv_path": path,
        }
        held = await store.get(path)
        new = held.data.get("access_key_id", "") if held else ""
        if held is not None and new != old and keys.get(new) == "Active":
            secret = held.data.get("secret_access_key", "")
            before |= {
                "new_key_id": new,
                "kv_version": held.version,
                "secret_hmac": fingerprint(secret),
            }
            return State(before, {} if keys[old] == "Inactive" else {"old_status": "Inactive"})
        if len(keys) >= 2:
            raise _at_limit(user, keys, old)
        return State(before, {"new_key": "Active", "kv_path": path, "old_status": "Inactive"})

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        store, fingerprint = self._ready()
        user, old, path = (str(state.before[k]) for k in ("user", "old_key_id", "kv_path"))
        rotation = Rotation(
            "new_key_id",
            issue=lambda: _create(iam, user),
            discard=lambda new: _delete(iam, user, new),
            retire=lambda: _deactivate(iam, user, old),
        )
        if "new_key_id" in state.before:  # delivered earlier; only the old key is left
            await rotation.retire()
            done = {k: state.before[k] for k in ("new_key_id", "kv_version", "secret_hmac")}
        else:
            done = await rotate(rotation, store, path, fingerprint)
        return {"user": user, "old_key_id": old, "old_status": "Inactive", **done}


async def _create(iam: IamCalls, user: str) -> Issued:
    answer = await iam.call(lambda c: c.create_access_key(UserName=user), f"user {user}")
    key = answer["AccessKey"]
    return Issued(
        str(key["AccessKeyId"]),
        {
            "access_key_id": str(key["AccessKeyId"]),
            "secret_access_key": str(key["SecretAccessKey"]),
        },
        "secret_access_key",
    )


async def _delete(iam: IamCalls, user: str, key_id: str) -> None:
    await iam.call(
        lambda c: c.delete_access_key(UserName=user, AccessKeyId=key_id), f"access key {key_id}"
    )


async def _deactivate(iam: IamCalls, user: str, key_id: str) -> None:
    await iam.call(
        lambda c: c.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive"),
        f"access key {key_id}",
    )


class DeleteInactiveKey(Irreversible):
    """Frees a slot for a rotation: deletes the owner's other key, only if it is inactive.
    Never the incident's own key (``aws.iam.delete_access_key`` is that), never an Active one."""

    spec = DELETE_INACTIVE_ACCESS_KEY
    instead = "a deleted access key cannot be brought back; issue a new one to the workload"

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        user = await iam.key_owner(target)
        keys = await user_keys(iam, user)
        others = {k: s for k, s in keys.items() if k != target.external_id}
        inactive = sorted(k for k, s in others.items() if s == "Inactive")
        if inactive:
            before: dict[str, object] = {"user": user, "inactive_key_id": inactive[0]}
            return State(before, {"deleted": inactive[0]})
        if len(keys) < 2:  # a slot is free already
            return State({"user": user, "keys": len(keys)}, {})
        raise ConnectorFailure(
            "unsafe",
            f"the other access key of {user}, {', '.join(sorted(others))}, is Active: "
            "Blastwall deletes only an inactive key",
        )

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        user, key_id = str(state.before["user"]), str(state.before["inactive_key_id"])
        if (await user_keys(iam, user)).get(key_id) != "Inactive":  # changed since the plan
            raise ConnectorFailure("unsafe", f"{key_id} is no longer inactive: not deleted")
        await _delete(iam, user, key_id)
        return {"user": user, "deleted": key_id}
