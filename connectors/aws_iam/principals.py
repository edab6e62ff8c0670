"""Actions on an IAM user or role: quarantine, remove console login, block assumption."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from bot.core.identities import AffectedIdentity
from connectors.aws_iam import policies
from connectors.aws_iam.calls import ActionFailed, IamCalls, State, document, failure
from connectors.aws_iam.specs import (
    BLOCK_ROLE_ASSUMPTION,
    QUARANTINE_PRINCIPAL,
    REMOVE_CONSOLE_LOGIN,
)


class Quarantine:
    spec = QUARANTINE_PRINCIPAL

    def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        kind, name = iam.principal(target)
        doc = iam.inline_policy(kind, name, policies.QUARANTINE_POLICY)
        before: dict[str, object] = {"principal_type": kind, "name": name, "quarantine_policy": doc}
        quarantined = doc is not None and doc == json.loads(policies.deny_all())
        return State(
            before, {} if quarantined else {"quarantine_policy": policies.QUARANTINE_POLICY}
        )

    def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        kind, name = str(state.before["principal_type"]), str(state.before["name"])
        iam.put_policy(kind, name, policies.QUARANTINE_POLICY, policies.deny_all())
        return {
            "principal_type": kind,
            "name": name,
            "quarantine_policy": policies.QUARANTINE_POLICY,
        }

    def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        kind, name = str(snapshot["principal_type"]), str(snapshot["name"])
        prior = snapshot.get("quarantine_policy")
        if prior is None:
            if iam.inline_policy(kind, name, policies.QUARANTINE_POLICY) is not None:
                iam.delete_policy(kind, name, policies.QUARANTINE_POLICY)
        else:
            iam.put_policy(kind, name, policies.QUARANTINE_POLICY, json.dumps(prior))
        return {"principal_type": kind, "name": name, "quarantine_policy": prior}


class RemoveConsoleLogin:
    spec = REMOVE_CONSOLE_LOGIN

    def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        _, name = iam.principal(target)
        iam.exists("user", name)
        try:
            iam.client().get_login_profile(UserName=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise failure(exc, f"user {name}") from exc
            return State({"user": name, "console_login": False}, {})
        return State({"user": name, "console_login": True}, {"console_login": False})

    def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        name = str(state.before["user"])
        iam.call(lambda c: c.delete_login_profile(UserName=name), f"user {name}")
        return {"user": name, "console_login": False}

    def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        raise ActionFailed(
            "irreversible",
            "the console password is gone; the owner sets a new one through your identity provider",
        )


def _deny_trust() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BlastwallBlockAssumption",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": [
                    "sts:AssumeRole",
                    "sts:AssumeRoleWithWebIdentity",
                    "sts:AssumeRoleWithSAML",
                    "sts:TagSession",
                ],
            }
        ],
    }


class BlockRoleAssumption:
    """Swaps the trust policy for a deny-all one; the old one is the snapshot."""

    spec = BLOCK_ROLE_ASSUMPTION

    def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        kind, name = iam.principal(target)
        if kind != "role":
            raise ActionFailed("invalid_target", f"{name} is not a role")
        trust = document(iam.exists("role", name)["AssumeRolePolicyDocument"])
        blocked = trust == _deny_trust()
        return State(
            {"role": name, "trust_policy": trust}, {} if blocked else {"trust_policy": "deny all"}
        )

    def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        name = str(state.before["role"])
        iam.call(
            lambda c: c.update_assume_role_policy(
                RoleName=name, PolicyDocument=json.dumps(_deny_trust())
            ),
            f"role {name}",
        )
        return {"role": name, "trust_policy": "deny all"}

    def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        name, trust = str(snapshot["role"]), snapshot["trust_policy"]
        iam.call(
            lambda c: c.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust)),
            f"role {name}",
        )
        return {"role": name, "trust_policy": trust}
