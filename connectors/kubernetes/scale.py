"""Scale a Deployment to zero through its scale subresource, and back from the snapshot."""

from __future__ import annotations

from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, State
from connectors.kubernetes.client import KubeClient, retry_conflicts
from connectors.kubernetes.specs import SCALE_TO_ZERO
from connectors.kubernetes.targets import Ref, deployment


async def _scale(kube: KubeClient, ref: Ref) -> dict[str, Any]:
    apps = kube.api("apps")
    return await kube.call(
        f"deployment {ref}", apps.read_namespaced_deployment_scale, ref.name, ref.namespace
    )


async def set_replicas(kube: KubeClient, ref: Ref, replicas: int) -> None:
    """Patch the replica count with the resourceVersion just read, so a concurrent
    change (an autoscaler, a deploy) is a 409 that is re-read, not silently overwritten."""

    async def attempt() -> None:
        scale = await _scale(kube, ref)
        version = (scale.get("metadata") or {}).get("resourceVersion")
        body = {"metadata": {"resourceVersion": version}, "spec": {"replicas": replicas}}
        apps = kube.api("apps")
        await kube.call(
            f"deployment {ref} scale",
            apps.patch_namespaced_deployment_scale,
            ref.name,
            ref.namespace,
            body,
        )

    await retry_conflicts(attempt)


class ScaleToZero:
    spec = SCALE_TO_ZERO

    async def read(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        ref = deployment(target)
        scale = await _scale(kube, ref)
        replicas = int((scale.get("spec") or {}).get("replicas") or 0)
        before: dict[str, object] = {"deployment": str(ref), "replicas": replicas}
        return State(before, {"replicas": 0} if replicas else {})

    async def write(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        ref = deployment(target)
        await set_replicas(kube, ref, 0)
        return {"deployment": str(ref), "replicas": 0}

    async def restore(
        self,
        kube: KubeClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        ref = deployment(target)
        replicas = snapshot.get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ConnectorFailure("invalid_snapshot", "the snapshot holds no replica count")
        await set_replicas(kube, ref, replicas)
        return {"deployment": str(ref), "replicas": replicas}
