"""Remove the RoleBindings and ClusterRoleBindings that grant a ServiceAccount its
rights, keeping each as it was so undo can re-create it.

Deletion is conditional on the UID and resourceVersion read: a binding changed in
between (409 Conflict) is read again and the removal retried, within a bound.
"""

from __future__ import annotations

from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, State
from connectors.kubernetes.client import KubeClient, retry_conflicts
from connectors.kubernetes.specs import REMOVE_ROLE_BINDINGS
from connectors.kubernetes.targets import Ref, manifest, service_account

RBAC = "rbac.authorization.k8s.io/v1"


def _is_account(subject: dict[str, Any], home: str | None, ref: Ref) -> bool:
    """A ServiceAccount subject without a namespace is in the binding's own."""
    return (
        subject.get("kind") == "ServiceAccount"
        and subject.get("name") == ref.name
        and (subject.get("namespace") or home) == ref.namespace
    )


def _names_account(binding: dict[str, Any], ref: Ref) -> bool:
    home = binding["metadata"].get("namespace")
    return any(_is_account(s, home, ref) for s in binding.get("subjects") or [])


def _key(kind: str, binding: dict[str, Any]) -> str:
    meta = binding["metadata"]
    where = f"{meta['namespace']}/" if kind == "RoleBinding" else ""
    return f"{kind}/{where}{meta['name']}"


def _entry(kind: str, binding: dict[str, Any], ref: Ref) -> dict[str, Any]:
    """What the plan shows (and undo needs): the binding, its role, who else it grants."""
    home = binding["metadata"].get("namespace")
    others = [s for s in binding.get("subjects") or [] if not _is_account(s, home, ref)]
    return {
        "binding": _key(kind, binding),
        "role": f"{binding['roleRef'].get('kind')}/{binding['roleRef'].get('name')}",
        "other_subjects": len(others),
        "uid": binding["metadata"].get("uid"),
        "resource_version": binding["metadata"].get("resourceVersion"),
        "manifest": {**manifest(binding), "apiVersion": RBAC, "kind": kind},
    }


class RemoveRoleBindings:
    spec = REMOVE_ROLE_BINDINGS

    async def read(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        ref = service_account(target)
        rbac = kube.api("rbac")
        found = await kube.call("role bindings", rbac.list_role_binding_for_all_namespaces)
        cluster = await kube.call("cluster role bindings", rbac.list_cluster_role_binding)
        entries = [
            _entry(kind, item, ref)
            for kind, listed in (("RoleBinding", found), ("ClusterRoleBinding", cluster))
            for item in listed.get("items") or []
            if _names_account(item, ref)
        ]
        only = params.get("binding")
        entries = [e for e in entries if only in (None, e["binding"])]
        before: dict[str, object] = {"service_account": str(ref), "bindings": entries}
        return State(before, {"bindings": []} if entries else {})

    async def write(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        ref = service_account(target)
        entries: list[dict[str, Any]] = state.before["bindings"]  # type: ignore[assignment]

        async def attempt() -> None:
            nonlocal entries
            try:
                for entry in entries:
                    await _delete(kube, entry)
            except ConnectorFailure as failed:
                if failed.code == "conflict":  # changed since read: read again, then retry
                    fresh = await self.read(kube, target, params)
                    entries = fresh.before["bindings"]  # type: ignore[assignment]
                raise

        await retry_conflicts(attempt)
        return {"service_account": str(ref), "bindings": []}

    async def restore(
        self,
        kube: KubeClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        entries = snapshot.get("bindings")
        if not isinstance(entries, list):
            raise ConnectorFailure("invalid_snapshot", "the snapshot holds no bindings")
        restored = [await _create(kube, entry["manifest"]) for entry in entries]
        return {"service_account": str(service_account(target)), "bindings": restored}


async def _delete(kube: KubeClient, entry: dict[str, Any]) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "preconditions": {"uid": entry["uid"], "resourceVersion": entry["resource_version"]},
    }
    rbac, meta = kube.api("rbac"), entry["manifest"]["metadata"]
    if entry["manifest"]["kind"] == "RoleBinding":
        await kube.find(
            entry["binding"],
            rbac.delete_namespaced_role_binding,
            meta["name"],
            meta["namespace"],
            body=body,
        )
    else:
        await kube.find(entry["binding"], rbac.delete_cluster_role_binding, meta["name"], body=body)


async def _create(kube: KubeClient, body: dict[str, Any]) -> str:
    """Re-create one binding from its snapshot; one that exists again is left as it is."""
    rbac, meta = kube.api("rbac"), body["metadata"]
    key = _key(body["kind"], body)
    try:
        if body["kind"] == "RoleBinding":
            await kube.call(key, rbac.create_namespaced_role_binding, meta["namespace"], body)
        else:
            await kube.call(key, rbac.create_cluster_role_binding, body)
    except ConnectorFailure as failed:
        if failed.code != "already_exists":
            raise
    return key
