"""Removing a service account from a project's role bindings, and putting it back.

The project's IAM policy is one document: Blastwall reads it, changes only the
account's membership, and writes it back with the etag it read, so a concurrent
change by someone else is never overwritten. Google answers a stale etag with
409 ABORTED; then the whole read-modify-write is redone, a bounded number of times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, State
from connectors.gcp_iam.client import GcpClient
from connectors.gcp_iam.names import account_of, project_of
from connectors.gcp_iam.safety import check_undo, live_keys, now_text
from connectors.gcp_iam.specs import REMOVE_PROJECT_BINDING

ROUNDS = 5
Policy = dict[str, Any]


async def read_policy(gcp: GcpClient, project: str) -> Policy:
    return await gcp.crm(
        f"projects/{project}:getIamPolicy",
        f"project {project} IAM policy",
        json={"options": {"requestedPolicyVersion": 3}},
    )


async def edit_policy(gcp: GcpClient, project: str, change: Callable[[Policy], bool]) -> None:
    """Apply ``change`` (False: nothing to change) under the policy's etag, retrying ABORTED."""
    for round_ in range(ROUNDS):
        policy = await read_policy(gcp, project)
        if not change(policy):
            return
        if any("condition" in b for b in policy.get("bindings", [])):
            policy["version"] = 3  # conditions are lost unless the write says version 3
        try:
            await gcp.crm(
                f"projects/{project}:setIamPolicy",
                f"project {project} IAM policy",
                json={"policy": policy},
            )
            return
        except ConnectorFailure as failed:
            if failed.code != "aborted":
                raise
        await asyncio.sleep(min(0.05 * 2**round_, 1.0))
    raise ConnectorFailure(
        "aborted", f"project {project}: the IAM policy kept changing; gave up after {ROUNDS} tries"
    )


def _binding_key(binding: dict[str, Any]) -> dict[str, object]:
    found: dict[str, object] = {"role": binding.get("role")}
    if "condition" in binding:
        found["condition"] = binding["condition"]
    return found


def held(policy: Policy, member: str, role: str | None) -> list[dict[str, object]]:
    """The (role, condition) bindings ``member`` is in, limited to ``role`` when given."""
    return [
        _binding_key(b)
        for b in policy.get("bindings", [])
        if member in b.get("members", []) and (role is None or b.get("role") == role)
    ]


def remover(member: str, role: str | None) -> Callable[[Policy], bool]:
    def change(policy: Policy) -> bool:
        changed, kept = False, []
        for binding in policy.get("bindings", []):
            if member in binding.get("members", []) and role in (None, binding.get("role")):
                binding["members"] = [m for m in binding["members"] if m != member]
                changed = True
            if binding.get("members"):
                kept.append(binding)
        policy["bindings"] = kept
        return changed

    return change


def adder(member: str, wanted: list[dict[str, object]]) -> Callable[[Policy], bool]:
    def change(policy: Policy) -> bool:
        bindings: list[dict[str, Any]] = policy.setdefault("bindings", [])
        changed = False
        for key in wanted:
            same = next((b for b in bindings if _binding_key(b) == key), None)
            if same is None:
                bindings.append({**key, "members": [member]})
                changed = True
            elif member not in same.get("members", []):
                same["members"] = [*same.get("members", []), member]
                changed = True
        return changed

    return change


class RemoveProjectBinding:
    spec = REMOVE_PROJECT_BINDING

    def __init__(self, token_lifetime_s: float) -> None:
        self._token_lifetime_s = token_lifetime_s

    async def read(self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str]) -> State:
        account, project = account_of(target), project_of(target, params)
        bindings = held(await read_policy(gcp, project), account.member, params.get("role"))
        before: dict[str, object] = {
            "project": project,
            "member": account.member,
            "bindings": bindings,
            "live_keys": await live_keys(gcp, account),
            "observed_at": now_text(),
        }
        return State(before, {"bindings": []} if bindings else {})

    async def write(
        self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        account, project = account_of(target), project_of(target, params)
        await edit_policy(gcp, project, remover(account.member, params.get("role")))
        return {"project": project, "member": account.member, "bindings": []}

    async def restore(
        self,
        gcp: GcpClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        account, project = account_of(target), str(snapshot.get("project"))
        wanted = snapshot.get("bindings")
        if not isinstance(wanted, list) or not wanted:
            return {"project": project, "member": account.member, "bindings": []}
        await check_undo(gcp, account, snapshot, params, self._token_lifetime_s)
        await edit_policy(gcp, project, adder(account.member, wanted))
        return {"project": project, "member": account.member, "bindings": wanted}
