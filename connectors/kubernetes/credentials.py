"""Invalidate a ServiceAccount's credentials, as far as the API allows.

Legacy token Secrets are deleted one by one. Bound (projected) tokens have no
revocation call: the API server rejects them once the account they name is gone,
which it checks by UID. So the account is deleted (on condition that it is still
the one read) and re-created from its snapshot: same name, new UID. The new account
is marked with when this happened, so a second run within the hour is "already done".
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.kubernetes.client import KubeClient
from connectors.kubernetes.specs import INVALIDATE_CREDENTIALS
from connectors.kubernetes.targets import Ref, manifest, service_account

TOKEN_TYPE = "kubernetes.io/service-account-token"  # noqa: S105 (a Secret type)
OWNER_ANNOTATION = "kubernetes.io/service-account.name"
INVALIDATED_AT = "blastwall.io/credentials-invalidated-at"
REPLACED_UID = "blastwall.io/replaced-uid"
RECENT = timedelta(hours=1)
CREATE_TRIES = 5


class InvalidateCredentials(Irreversible):
    spec = INVALIDATE_CREDENTIALS
    instead = (
        "invalidated tokens cannot be brought back: restart the workload's pods "
        "(kubectl rollout restart) so they get tokens for the re-created account"
    )

    async def read(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        ref = service_account(target)
        core = kube.api("core")
        account = await kube.call(
            f"service account {ref}", core.read_namespaced_service_account, ref.name, ref.namespace
        )
        secrets = await kube.call(
            f"secrets in {ref.namespace}",
            core.list_namespaced_secret,
            ref.namespace,
            field_selector=f"type={TOKEN_TYPE}",
        )
        tokens = sorted(_owned_tokens(secrets, ref.name))  # names only: never the token values
        meta = account["metadata"]
        before: dict[str, object] = {
            "service_account": str(ref),
            "uid": meta.get("uid"),
            "legacy_token_secrets": tokens,
            "manifest": _without_tokens(manifest(account), tokens),
        }
        if _recent((meta.get("annotations") or {}).get(INVALIDATED_AT)) and not tokens:
            return State(before, {})
        return State(before, {"legacy_token_secrets": [], "uid": "replaced"})

    async def write(
        self, kube: KubeClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        ref = service_account(target)
        core = kube.api("core")
        for name in state.before["legacy_token_secrets"]:  # type: ignore[attr-defined]
            await kube.find(
                f"secret {ref.namespace}/{name}", core.delete_namespaced_secret, name, ref.namespace
            )
        old_uid = str(state.before["uid"])
        await kube.find(
            f"service account {ref}",
            core.delete_namespaced_service_account,
            ref.name,
            ref.namespace,
            body={"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": old_uid}},
        )
        created = await _recreate(kube, ref, state.before["manifest"], old_uid)  # type: ignore[arg-type]
        return {
            "service_account": str(ref),
            "uid": created["metadata"].get("uid"),
            "replaced_uid": old_uid,
            "legacy_token_secrets": [],
        }


async def _recreate(
    kube: KubeClient, ref: Ref, snapshot: dict[str, Any], old_uid: str
) -> dict[str, Any]:
    """Create the account again; while the old one is still being deleted the name is
    taken (409 AlreadyExists), so try again within a bound."""
    body = dict(snapshot)
    meta = dict(body.get("metadata") or {})
    meta["annotations"] = {
        **(meta.get("annotations") or {}),
        INVALIDATED_AT: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        REPLACED_UID: old_uid,
    }
    body["metadata"] = meta
    core = kube.api("core")
    for attempt in range(1, CREATE_TRIES + 1):
        try:
            return await kube.call(
                f"service account {ref}",
                core.create_namespaced_service_account,
                ref.namespace,
                body,
            )
        except ConnectorFailure as failed:
            if failed.code != "already_exists" or attempt == CREATE_TRIES:
                raise
        await asyncio.sleep(0.2 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _owned_tokens(secrets: dict[str, Any], account: str) -> list[str]:
    return [
        item["metadata"]["name"]
        for item in secrets.get("items") or []
        if item.get("type") == TOKEN_TYPE
        and (item["metadata"].get("annotations") or {}).get(OWNER_ANNOTATION) == account
    ]


def _without_tokens(account: dict[str, Any], tokens: list[str]) -> dict[str, Any]:
    """The account as it will be re-created: without references to the deleted Secrets."""
    kept = [s for s in account.get("secrets") or [] if s.get("name") not in tokens]
    trimmed = {k: v for k, v in account.items() if k != "secrets"}
    return {**trimmed, "secrets": kept} if kept else trimmed


def _recent(stamp: str | None) -> bool:
    if not stamp:
        return False
    try:
        at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    return datetime.now(UTC) - at < RECENT
