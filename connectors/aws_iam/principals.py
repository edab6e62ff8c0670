"""Actions on an IAM user or role: quarantine, remove console login, block assumption."""

from __future__ import annotations

import json
from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.aws_iam import policies
from connectors.aws_iam.calls import IamCalls, document
from connectors.aws_iam.specs import (
    BLOCK_ROLE_ASSUMPTION,
    QUARANTINE_PRINCIPAL,
    REMOVE_CONSOLE_LOGIN,
)
from connectors.base import ConnectorFailure, Irreversible, State


class Quarantine:
    spec = QUARANTINE_PRINCIPAL

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        kind, name = await iam.principal(target)
        doc = await iam.inline_policy(kind, name, policies.QUARANTINE_POLICY)
        before: dict[str, object] = {"principal_type": kind, "name": name, "quarantine_policy": doc}
        quarantined = doc is not None and doc == json.loads(policies.deny_all())
        return State(
            before, {} if quarantined else {"quarantine_policy": policies.QUARANTINE_POLICY}
        )

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        kind, name = str(state.before["principal_type"]), str(state.before["name"])
        await iam.put_policy(kind, name, policies.QUARANTINE_POLICY, policies.deny_all())
        return {
            "principal_type": kind,
            "name": name,
            "quarantine_policy": policies.QUARANTINE_POLICY,
        }

    async def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        kind, name = str(snapshot["principal_type"]), str(snapshot["name"])
        prior = snapshot.get("quarantine_policy")
        if prior is None:
            if await iam.inline_policy(kind, name, policies.QUARANTINE_POLICY) is not None:
                await iam.delete_policy(kind, name, policies.QUARANTINE_POLICY)
        else:
            await iam.put_policy(kind, name, policies.QUARANTINE_POLICY, json.dumps(prior))
        return {"principal_type": kind, "name": name, "quarantine_policy": prior}


class RemoveConsoleLogin(Irreversible):
    spec = REMOVE_CONSOLE_LOGIN
    instead = (
        "the console password is gone; the owner sets a new one through your identity provider"
    )

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        _, name = await iam.principal(target)
        await iam.exists("user", name)
        profile = await iam.maybe(lambda c: c.get_login_profile(UserName=name), f"user {name}")
        if profile is None:
            return State({"user": name, "console_login": False}, {})
        return State({"user": name, "console_login": True}, {"console_login": False})

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        name = str(state.before["user"])
        await iam.call(lambda c: c.delete_login_profile(UserName=name), f"user {name}")
        return {"user": name, "console_login": False}


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

    async def read(self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str]) -> State:
        kind, name = await iam.principal(target)
        if kind != "role":
            raise ConnectorFailure("invalid_target", f"{name} is not a role")
        trust = document((await iam.exists("role", name))["AssumeRolePolicyDocument"])
        blocked = trust == _deny_trust()
        return State(
            {"role": name, "trust_policy": trust}, {} if blocked else {"trust_policy": "deny all"}
        )

    async def write(
        self, iam: IamCalls, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        name = str(state.before["role"])
        await iam.call(
            lambda c: c.update_assume_role_policy(
                RoleName=name, PolicyDocument=json.dumps(_deny_trust())
            ),
            f"role {name}",
        )
        return {"role": name, "trust_policy": "deny all"}

    async def restore(
        self,
        iam: IamCalls,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        name, trust = str(snapshot["role"]), snapshot["trust_policy"]
        await iam.call(
            lambda c: c.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust)),
            f"role {name}",
        )
        return {"role": name, "trust_policy": trust}
