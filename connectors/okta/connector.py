"""Okta as a Connector, acting as an API service app."""

from __future__ import annotations

from connectors.base import TableConnector
from connectors.okta.api_tokens import RevokeApiToken
from connectors.okta.apps import DeactivateApp, RevokeAppTokens
from connectors.okta.client import SCOPES, OktaClient
from connectors.okta.specs import CONNECTOR
from connectors.okta.users import ClearUserSessions, DeactivateUser, SuspendUser


class OktaConnector(TableConnector[OktaClient]):
    rate_per_s = 10.0

    def __init__(
        self,
        *,
        org_url: str,
        client_id: str,
        private_key_pem: str,
        key_id: str | None = None,
        token_url: str | None = None,
        scopes: str = SCOPES,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
    ) -> None:
        client = OktaClient(
            org_url=org_url,
            client_id=client_id,
            private_key_pem=private_key_pem,
            key_id=key_id,
            token_url=token_url,
            scopes=scopes,
            attempts=attempts,
        )
        actions = (
            SuspendUser(),
            DeactivateUser(),
            ClearUserSessions(),
            DeactivateApp(),
            RevokeAppTokens(),
            RevokeApiToken(),
        )
        super().__init__(CONNECTOR, client, actions, verify_timeout_s)

    async def aclose(self) -> None:
        await self._client.aclose()
