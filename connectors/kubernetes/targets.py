"""Which Kubernetes object an identity names: ``namespace/name``, checked against the
API's own naming rules so a malformed id is refused before any call is made."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from bot.core.identities import AffectedIdentity, IdentityKind
from connectors.base import ConnectorFailure

_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
_VOLATILE = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation")


@dataclass(frozen=True)
class Ref:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def _ref(value: str, default_namespace: str | None, target: AffectedIdentity) -> Ref:
    namespace, _, name = value.rpartition("/")
    namespace = namespace or default_namespace or ""
    if not _NAMESPACE.fullmatch(namespace) or not _NAME.fullmatch(name):
        raise ConnectorFailure(
            "invalid_target", f"{target.key}: expected namespace/name, got {value[:100]!r}"
        )
    return Ref(namespace, name)


def service_account(target: AffectedIdentity) -> Ref:
    """The ServiceAccount: the identity's id."""
    return _ref(target.external_id, None, target)


def deployment(target: AffectedIdentity) -> Ref:
    """The Deployment: the id of a workload; for an agent, its ``workload`` field
    (``name`` in the account's namespace, or ``namespace/name``)."""
    if target.kind is IdentityKind.WORKLOAD:
        return _ref(target.external_id, None, target)
    if not target.workload:
        raise ConnectorFailure("invalid_target", f"{target.key} names no workload (Deployment)")
    return _ref(target.workload, service_account(target).namespace, target)


def label_value(name: str) -> str:
    """A label value for ``name``: label values stop at 63 characters, names do not."""
    if len(name) <= 63:
        return name
    return f"{name[:46]}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def manifest(found: dict[str, Any]) -> dict[str, Any]:
    """An object as it can be sent back to create it: without what the server assigns."""
    meta = dict(found.get("metadata") or {})
    for field in _VOLATILE:
        meta.pop(field, None)
    kept = {k: v for k, v in found.items() if k not in ("metadata", "status")}
    return {**kept, "metadata": meta}
