"""Access key actions: deactivate (a toggle that is rarely safe to undo) and delete."""

from __future__ import annotations

from bot.core.identities import AffectedIdentity
from connectors.aws_iam.calls import ActionFailed, IamCalls, State
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY, DELETE_ACCESS_KEY

REENABLE_UNSAFE = (
    "re-enabling a leaked key hands access back to whoever holds it: rotate instead "
    "(create a new key, move the workload, delete this one); undo with "
    "confirm_false_positive=true only when the key was never exposed"
)


def _key_status(iam: IamCalls, target: AffectedIdentity) -> tuple[str, str | None]:
    user = iam.key_owner(target)
    keys = iam.call(lambda c: c.list_access_keys(UserName=user), f"user {user}")
    found = [k for k in keys["AccessKeyMetadata"] if k["AccessKeyId"] == target.external_id]
    return user, (str(found[0]["Status"]) if found else None)


class DeactivateKey:
    spec = DEACTIVATE_ACCESS_KEY

    def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        user, status = _key_status(iam, target)
        if status is None:
            raise ActionFailed(
                "not_found", f"access key {target.external_id} not found for user {user}"
            )
        changes: dict[str, object] = {} if status == "Inactive" else {"status": "Inactive"}
        return State({"user": user, "status": status}, changes)

    def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        user = str(state.before["user"])
        iam.call(
            lambda c: c.update_access_key(
                UserName=user, AccessKeyId=target.external_id, Status="Inactive"
            ),
            f"access key {target.external_id}",
        )
        return {"user": user, "status": "Inactive"}

    def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        if snapshot.get("status") != "Active":
            return {"status": snapshot.get("status")}
        if params.get("confirm_false_positive") != "true":
            raise ActionFailed("unsafe", REENABLE_UNSAFE)
        user = str(snapshot["user"])
        iam.call(
            lambda c: c.update_access_key(
                UserName=user, AccessKeyId=target.external_id, Status="Active"
            ),
            f"access key {target.external_id}",
        )
        return {"user": user, "status": "Active"}


class DeleteKey:
    spec = DELETE_ACCESS_KEY

    def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        """A key IAM no longer knows counts as deleted: "already in that state"."""
        try:
            user, status = _key_status(iam, target)
        except ActionFailed as failed:
            if failed.code != "not_found":
                raise
            return State({"exists": False}, {})
        if status is None:
            return State({"user": user, "exists": False}, {})
        return State({"user": user, "exists": True, "status": status}, {"exists": False})

    def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        user = str(state.before["user"])
        iam.call(
            lambda c: c.delete_access_key(UserName=user, AccessKeyId=target.external_id),
            f"access key {target.external_id}",
        )
        return {"user": user, "exists": False}

    def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        raise ActionFailed(
            "irreversible",
            "a deleted access key cannot be brought back; issue a new one to the workload",
        )
