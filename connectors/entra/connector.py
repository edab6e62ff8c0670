"""Microsoft Entra ID as a Connector, acting as an app registration of its own."""

from __future__ import annotations

from connectors.base import TableConnector
from connectors.entra.client import GraphClient
from connectors.entra.credentials import RemoveClientSecret
from connectors.entra.grants import RemoveAppRoleAssignment, RemoveOauth2Grant
from connectors.entra.principals import DisableServicePrincipal, RevokeUserSessions
from connectors.entra.specs import CONNECTOR


class EntraConnector(TableConnector[GraphClient]):
    rate_per_s = 10.0

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        login_url: str = "https://login.microsoftonline.com",
        graph_url: str = "https://graph.microsoft.com/v1.0",
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
    ) -> None:
        client = GraphClient(
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=client_secret,
            login_url=login_url,
            graph_url=graph_url,
            attempts=attempts,
        )
        actions = (
            DisableServicePrincipal(),
            RemoveClientSecret(),
            RevokeUserSessions(),
            RemoveAppRoleAssignment(),
            RemoveOauth2Grant(),
        )
        super().__init__(CONNECTOR, client, actions, verify_timeout_s)

    async def aclose(self) -> None:
        await self._client.aclose()
