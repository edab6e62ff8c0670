"""Vault / OpenBao as a Connector."""

from __future__ import annotations

from collections.abc import Mapping

from connectors.http_connector import HttpConnector
from connectors.vault.actions import DestroySecretId, DisableEntity, RevokeLeases, RevokeToken
from connectors.vault.client import VaultClient
from connectors.vault.specs import CONNECTOR


class VaultConnector(HttpConnector[VaultClient]):
    rate_per_s = 20.0

    def __init__(
        self,
        *,
        addr: str,
        token: str,
        namespace: str | None = None,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
    ) -> None:
        client = VaultClient(addr=addr, token=token, namespace=namespace, attempts=attempts)
        super().__init__(
            CONNECTOR,
            client,
            (RevokeToken(), RevokeLeases(), DisableEntity(), DestroySecretId()),
            verify_timeout_s,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> VaultConnector | None:
        """None when Vault is not configured (BLASTWALL_VAULT_ADDR and _TOKEN)."""
        addr, token = environ.get("BLASTWALL_VAULT_ADDR"), environ.get("BLASTWALL_VAULT_TOKEN")
        if not addr or not token:
            return None
        return cls(addr=addr, token=token, namespace=environ.get("BLASTWALL_VAULT_NAMESPACE"))
