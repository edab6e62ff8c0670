"""Quarantine a Deployment: a label on it and on its pods, and a deny-all NetworkPolicy
selecting that label. One policy per workload, so undoing one quarantine never lifts
another's in the same namespace."""

from __future__ import annotations

from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, State
from connectors.kubernetes.client import KubeClient
from connectors.kubernetes.specs import QUARANTINE_WORKLOAD
from connectors.kubernetes.targets import Ref, deployment, label_value

LABEL = "blastwall.io/quarantine"
_PARTS = ("labelled", "pods_labelled", "policy")


def policy_name(ref: Ref) -> str:
    return f"blastwall-quarantine-{label_value(ref.name)}"


def deny_all(ref: Ref) -> dict[str, Any]:
    """Ingress and Egress with no rules: nothing in, nothing out, for the labelled pods."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": policy_name(ref),
            "namespace": ref.namespace,
            "labels": {"app.kubernetes.io/managed-by": "blastwall"},
        },
        "spec": {
            "podSelector": {"matchLabels": {LABEL: label_value(ref.name)}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [],
        },
    }


def _labels(value: str | None) -> dict[str, Any]:
    """A strategic merge patch setting (or, with None, removing) the label on the
    Deployment and on its pod template."""
    labels = {"metadata": {"labels": {LABEL: value}}}
    return {**labels, "spec": {"template": labels}}


class QuarantineWorkload:
    spec = QUARANTINE_WORKLOAD

    async def read(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        ref = deployment(target)
        found = await kube.call(
            f"deployment {ref}",
            kube.api("apps").read_namespaced_deployment,
            ref.name,
            ref.namespace,
        )
        template = ((found.get("spec") or {}).get("template") or {}).get("metadata") or {}
        value = label_value(ref.name)
        policy = await kube.find(
            f"network policy {policy_name(ref)}",
            kube.api("networking").read_namespaced_network_policy,
            policy_name(ref),
            ref.namespace,
        )
        before: dict[str, object] = {
            "deployment": str(ref),
            "labelled": (found["metadata"].get("labels") or {}).get(LABEL) == value,
            "pods_labelled": (template.get("labels") or {}).get(LABEL) == value,
            "policy": policy is not None,
        }
        return State(before, {part: True for part in _PARTS if not before[part]})

    async def write(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        ref = deployment(target)
        if not state.before["policy"]:
            await self._create_policy(kube, ref)
        if not (state.before["labelled"] and state.before["pods_labelled"]):
            await self._label(kube, ref, label_value(ref.name))
        return {"deployment": str(ref), **{part: True for part in _PARTS}}

    async def restore(
        self,
        kube: KubeClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        ref = deployment(target)
        if not (snapshot.get("labelled") or snapshot.get("pods_labelled")):
            await self._label(kube, ref, None)
        if not snapshot.get("policy"):
            await kube.find(
                f"network policy {policy_name(ref)}",
                kube.api("networking").delete_namespaced_network_policy,
                policy_name(ref),
                ref.namespace,
            )
        return {"deployment": str(ref), **{part: bool(snapshot.get(part)) for part in _PARTS}}

    async def _create_policy(self, kube: KubeClient, ref: Ref) -> None:
        try:
            await kube.call(
                f"network policy {policy_name(ref)}",
                kube.api("networking").create_namespaced_network_policy,
                ref.namespace,
                deny_all(ref),
            )
        except ConnectorFailure as failed:
            if failed.code != "already_exists":
                raise

    async def _label(self, kube: KubeClient, ref: Ref, value: str | None) -> None:
        await kube.call(
            f"deployment {ref}",
            kube.api("apps").patch_namespaced_deployment,
            ref.name,
            ref.namespace,
            _labels(value),
        )
