"""Google Cloud IAM as a Connector: the action table over one REST client."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.identities import AffectedIdentity
from connectors.base import TableConnector
from connectors.gcp_iam.accounts import DisableServiceAccount
from connectors.gcp_iam.auth import DEFAULT_TOKEN_URL, ServiceAccountKey
from connectors.gcp_iam.bindings import RemoveProjectBinding
from connectors.gcp_iam.client import DEFAULT_CRM_URL, DEFAULT_IAM_URL, GcpClient
from connectors.gcp_iam.keys import DeleteKey, DisableKey
from connectors.gcp_iam.specs import CONNECTOR

TOKEN_LIFETIME_S = 3600.0  # Google's default access token lifetime


class GcpIamConnector(TableConnector[GcpClient]):
    rate_per_s = 10.0

    def __init__(
        self,
        *,
        key: ServiceAccountKey,
        token_url: str = DEFAULT_TOKEN_URL,
        iam_url: str = DEFAULT_IAM_URL,
        crm_url: str = DEFAULT_CRM_URL,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
        token_lifetime_s: float = TOKEN_LIFETIME_S,
    ) -> None:
        client = GcpClient(
            key=key, token_url=token_url, iam_url=iam_url, crm_url=crm_url, attempts=attempts
        )
        actions = (
            DisableKey(),
            DeleteKey(),
            DisableServiceAccount(token_lifetime_s),
            RemoveProjectBinding(token_lifetime_s),
        )
        super().__init__(CONNECTOR, client, actions, verify_timeout_s)

    def done(self, target: AffectedIdentity, after: Mapping[str, object]) -> str:
        """Say what changed ("disabled True"), not only that something did."""
        said = ", ".join(f"{k} {v}" for k, v in after.items() if k not in ("service_account",))
        return f"{target.external_id}: {said}"

    async def aclose(self) -> None:
        await self._client.aclose()
