"""The Kubernetes API's object rules the stand-in needs: the kinds it serves, Status
answers, label and field selectors, the patch formats and the Scale view."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse


@dataclass(frozen=True)
class Kind:
    group_version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def group(self) -> str:
        return self.group_version.rpartition("/")[0]

    @property
    def resource(self) -> str:
        """As Status messages name it: ``deployments.apps``, ``serviceaccounts``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS = {
    (k.group_version, k.plural): k
    for k in (
        Kind("v1", "serviceaccounts", "ServiceAccount"),
        Kind("v1", "secrets", "Secret"),
        Kind("apps/v1", "deployments", "Deployment"),
        Kind("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy"),
        Kind("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding"),
        Kind("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False),
    )
}


def status(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=code)


def conflict(kind: Kind, name: str, why: str) -> JSONResponse:
    return status(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {kind.resource} "{name}": {why}',
        details={"name": name, "group": kind.group, "kind": kind.plural},
    )


def success(kind: Kind, deleted: dict[str, Any]) -> JSONResponse:
    """What a delete answers when the object is gone at once (no finalizers)."""
    meta = deleted["metadata"]
    return JSONResponse(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {
                "name": meta["name"],
                "group": kind.group,
                "kind": kind.plural,
                "uid": meta["uid"],
            },
        }
    )


def _label_term(labels: dict[str, str], term: str) -> bool:
    if "!=" in term:
        key, value = term.split("!=", 1)
        return labels.get(key) != value
    if "=" in term:
        key, value = term.replace("==", "=").split("=", 1)
        return labels.get(key) == value
    return term[1:] not in labels if term.startswith("!") else term in labels


def _field(found: dict[str, Any], name: str) -> str:
    if name == "type":
        return str(found.get("type", ""))
    return str(found["metadata"].get(name.removeprefix("metadata."), ""))


def _field_term(found: dict[str, Any], term: str) -> bool:
    if "!=" in term:
        name, value = term.split("!=", 1)
        return _field(found, name) != value
    name, value = term.replace("==", "=").split("=", 1)
    return _field(found, name) == value


def matches(found: dict[str, Any], labels: str, fields: str) -> bool:
    have = found["metadata"].get("labels") or {}
    return all(_label_term(have, t) for t in filter(None, labels.split(","))) and all(
        _field_term(found, t) for t in filter(None, fields.split(","))
    )


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch; for the maps and scalars Blastwall patches, a strategic
    merge patch means the same (null removes a key)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def _json_patch(target: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """RFC 6902 add / replace / remove on object paths (what a label edit needs)."""
    result = copy.deepcopy(target)
    for op in ops:
        *parents, last = [
            p.replace("~1", "/").replace("~0", "~") for p in op["path"].lstrip("/").split("/")
        ]
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if op["op"] == "remove":
            node.pop(last, None)
        else:
            node[last] = op["value"]
    return result


def apply_patch(target: dict[str, Any], patch: Any, content_type: str) -> dict[str, Any]:
    if content_type == "application/json-patch+json":
        return _json_patch(target, patch)
    merged: dict[str, Any] = merge(target, patch)
    return merged


def scale_of(deployment: dict[str, Any]) -> dict[str, Any]:
    """The ``autoscaling/v1`` Scale view of a Deployment."""
    meta = deployment["metadata"]
    selector = (deployment.get("spec") or {}).get("selector", {}).get("matchLabels", {})
    replicas = int((deployment.get("spec") or {}).get("replicas", 1))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": replicas},
        "status": {
            "replicas": int((deployment.get("status") or {}).get("replicas", replicas)),
            "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
        },
    }
