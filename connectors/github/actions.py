"""The GitHub actions: read the state, write the change, restore when that is possible."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core.identities import AffectedIdentity
from connectors.base import ConnectorFailure, Irreversible, State
from connectors.github.client import GitHubClient
from connectors.github.specs import (
    REVOKE_CREDENTIAL,
    REVOKE_PAT_ORG_ACCESS,
    SUSPEND_INSTALLATION,
)
from connectors.http_errors import refuse


class RevokeCredential(Irreversible):
    """GitHub's credential revocation API. The token itself is the only handle on it,
    so the identity carries it sealed; the read-back is whether it still authenticates."""

    spec = REVOKE_CREDENTIAL
    instead = "a revoked token cannot be brought back; its owner issues a new one"

    def __init__(self, unseal: Callable[[str], str]) -> None:
        self._unseal = unseal

    def _token(self, target: AffectedIdentity) -> str:
        sealed = target.attribute("credential_sealed")
        if not sealed:
            raise ConnectorFailure("invalid_target", f"{target.key} carries no sealed token")
        return self._unseal(sealed)

    async def read(
        self, gh: GitHubClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        response = await gh.request(
            "GET", "user", "the token", auth="token", token=self._token(target)
        )
        if response.status_code == 401:
            return State({"authenticates": False}, {})
        if response.status_code >= 400:
            raise refuse(response, "the token")
        return State({"authenticates": True}, {"authenticates": False})

    async def write(
        self, gh: GitHubClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await gh.call(
            "POST",
            "credentials/revoke",
            "credential revocation",
            auth="none",
            json={"credentials": [self._token(target)]},
        )
        return {"revocation": "accepted"}


class SuspendInstallation:
    spec = SUSPEND_INSTALLATION

    async def read(
        self, gh: GitHubClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        found: dict[str, Any] = await gh.call(
            "GET", f"app/installations/{target.external_id}", "installation", auth="app"
        )
        suspended = found.get("suspended_at") is not None
        before: dict[str, object] = {
            "account": (found.get("account") or {}).get("login"),
            "suspended": suspended,
        }
        return State(before, {} if suspended else {"suspended": True})

    async def write(
        self, gh: GitHubClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        await gh.call(
            "PUT", f"app/installations/{target.external_id}/suspended", "installation", auth="app"
        )
        return {"suspended": True}

    async def restore(
        self,
        gh: GitHubClient,
        target: AffectedIdentity,
        params: dict[str, str],
        snapshot: dict[str, object],
    ) -> dict[str, object]:
        if snapshot.get("suspended"):
            return {"suspended": True}
        await gh.call(
            "DELETE",
            f"app/installations/{target.external_id}/suspended",
            "installation",
            auth="app",
        )
        return {"suspended": False}


class RevokePatOrgAccess(Irreversible):
    spec = REVOKE_PAT_ORG_ACCESS
    instead = "revoked organisation access is re-requested by the token's owner and re-approved"

    def _org(self, target: AffectedIdentity) -> str:
        org = target.attribute("org")
        if not org or not target.external_id.isdigit():
            raise ConnectorFailure(
                "invalid_target",
                f"{target.key}: a fine-grained token id with an org attribute is needed",
            )
        return org

    async def read(
        self, gh: GitHubClient, target: AffectedIdentity, params: dict[str, str]
    ) -> State:
        org = self._org(target)
        tokens: list[dict[str, Any]] = await gh.call(
            "GET",
            f"orgs/{org}/personal-access-tokens?per_page=100",
            "organisation tokens",
            auth="installation",
        )
        present = any(str(t.get("id")) == target.external_id for t in tokens)
        return State({"org": org, "org_access": present}, {"org_access": False} if present else {})

    async def write(
        self, gh: GitHubClient, target: AffectedIdentity, params: dict[str, str], state: State
    ) -> dict[str, object]:
        org = self._org(target)
        await gh.call(
            "POST",
            f"orgs/{org}/personal-access-tokens/{target.external_id}",
            "fine-grained token",
            auth="installation",
            json={"action": "revoke"},
        )
        return {"org": org, "org_access": False}
