"""Vault / OpenBao as a Connector."""

from __future__ import annotations

from connectors.base import TableConnector
from connectors.rotation import Fingerprint
from connectors.vault.actions import DestroySecretId, DisableEntity, RevokeLeases, RevokeToken
from connectors.vault.client import VaultClient
from connectors.vault.rotation import RotateSecretId
from connectors.vault.specs import CONNECTOR


class VaultConnector(TableConnector[VaultClient]):
    rate_per_s = 20.0

    def __init__(
        self,
        *,
        addr: str,
        token: str,
        namespace: str | None = None,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
        fingerprint: Fingerprint | None = None,
    ) -> None:
        client = VaultClient(addr=addr, token=token, namespace=namespace, attempts=attempts)
        super().__init__(
            CONNECTOR,
            client,
            (
                RevokeToken(),
                RevokeLeases(),
                DisableEntity(),
                DestroySecretId(),
                RotateSecretId(fingerprint),
            ),
            verify_timeout_s,
        )
