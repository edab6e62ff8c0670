"""Access key actions: deactivate (a toggle that is rarely safe to undo) and delete."""

from __future__ import annotations

from bot.core.identities import AffectedIdentity
from connectors.aws_iam.calls import IamCalls
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY, DELETE_ACCESS_KEY
from connectors.base import ConnectorFailure, Irreversible, State

REENABLE_UNSAFE = (
    "re-enabling a leaked key hands access back to whoever holds it: rotate instead "
    "(aws.iam.rotate_access_key delivers a new key to the secret store; then delete "
    "this one); undo with "
    "confirm_false_positive=true only when the key was never exposed"
)


async def _key_status(iam: IamCalls, target: AffectedIdentity) -> tuple[str, str | None]:
    user = await iam.key_owner(target)
    keys = await iam.call(lambda c: c.list_access_keys(UserName=user), f"user {user}")
    found = [k for k in keys["AccessKeyMetadata"] if k["AccessKeyId"] == target.external_id]
    return user, (str(found[0]["Status"]) if found else None)


class DeactivateKey:
    spec = DEACTIVATE_ACCESS_KEY

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        user, status = await _key_status(iam, target)
        if status is None:
            raise ConnectorFailure(
                "not_found", f"access key {target.external_id} not found for user {user}"
            )
        changes: dict[str, object] = {} if status == "Inactive" else {"status": "Inactive"}
        return State({"user": user, "status": status}, changes)

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        user = str(state.before["user"])
        await iam.call(
            lambda c: c.update_access_key(
                UserName=user, AccessKeyId=target.external_id, Status="Inactive"
            ),
            f"access key {target.external_id}",
        )
        return {"user": user, "status": "Inactive"}

    async def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        if snapshot.get("status") != "Active":
            return {"status": snapshot.get("status")}
        if params.get("confirm_false_positive") != "true":
            raise ConnectorFailure("unsafe", REENABLE_UNSAFE)
        user = str(snapshot["user"])
        await iam.call(
            lambda c: c.update_access_key(
                UserName=user, AccessKeyId=target.external_id, Status="Active"
            ),
            f"access key {target.external_id}",
        )
        return {"user": user, "status": "Active"}


class DeleteKey(Irreversible):
    spec = DELETE_ACCESS_KEY
    instead = "a deleted access key cannot be brought back; issue a new one to the workload"

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        """A key IAM no longer knows counts as deleted: "already in that state"."""
        try:
            user, status = await _key_status(iam, target)
        except ConnectorFailure as failed:
            if failed.code != "not_found":
                raise
            return State({"exists": False}, {})
        if status is None:
            return State({"user": user, "exists": False}, {})
        return State({"user": user, "exists": True, "status": status}, {"exists": False})

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        user = str(state.before["user"])
        await iam.call(
            lambda c: c.delete_access_key(UserName=user, AccessKeyId=target.external_id),
            f"access key {target.external_id}",
        )
        return {"user": user, "exists": False}
