"""Disabling a service account: every token and key of it stops working at once.

A toggle whose undo is guarded (``safety``): re-enabling revives the tokens it
was issued and the keys it still has.
"""

from __future__ import annotations

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, State
from connectors.gcp_iam.client import GcpClient
from connectors.gcp_iam.names import account_of
from connectors.gcp_iam.safety import check_undo, live_keys, now_text
from connectors.gcp_iam.specs import DISABLE_SERVICE_ACCOUNT


class DisableServiceAccount:
    spec = DISABLE_SERVICE_ACCOUNT

    def __init__(self, token_lifetime_s: float) -> None:
        self._token_lifetime_s = token_lifetime_s

    async def read(self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str]) -> State:
        account = account_of(target)
        found = await gcp.iam("GET", account.name, account.email, missing_ok=True)
        if found is None:
            raise ConnectorFailure("not_found", f"service account {account.email} not found")
        disabled = bool(found.get("disabled"))
        before: dict[str, object] = {
            "service_account": account.email,
            "project": found.get("projectId"),
            "disabled": disabled,
            "live_keys": await live_keys(gcp, account),
            "observed_at": now_text(),
        }
        return State(before, {} if disabled else {"disabled": True})

    async def write(
        self, gcp: GcpClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        account = account_of(target)
        await gcp.iam("POST", f"{account.name}:disable", account.email, json={})
        return {"service_account": account.email, "disabled": True}

    async def restore(
        self,
        gcp: GcpClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        account = account_of(target)
        if snapshot.get("disabled") is not False:
            return {"service_account": account.email, "disabled": snapshot.get("disabled")}
        await check_undo(gcp, account, snapshot, params, self._token_lifetime_s)
        await gcp.iam("POST", f"{account.name}:enable", account.email, json={})
        return {"service_account": account.email, "disabled": False}
