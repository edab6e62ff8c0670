"""Kubernetes as a Connector."""

from __future__ import annotations

from connectors.base import TableConnector
from connectors.kubernetes.bindings import RemoveRoleBindings
from connectors.kubernetes.client import KubeClient
from connectors.kubernetes.credentials import InvalidateCredentials
from connectors.kubernetes.quarantine import QuarantineWorkload
from connectors.kubernetes.scale import ScaleToZero
from connectors.kubernetes.specs import CONNECTOR


class KubernetesConnector(TableConnector[KubeClient]):
    rate_per_s = 20.0

    def __init__(
        self,
        *,
        api_url: str,
        token: str | None = None,
        token_file: str | None = None,
        ca_file: str | None = None,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
    ) -> None:
        self._kube = KubeClient(
            api_url=api_url,
            token=token,
            token_file=token_file,
            ca_file=ca_file,
            attempts=attempts,
        )
        actions = (
            InvalidateCredentials(),
            QuarantineWorkload(),
            ScaleToZero(),
            RemoveRoleBindings(),
        )
        super().__init__(CONNECTOR, self._kube, actions, verify_timeout_s)

    async def aclose(self) -> None:
        await self._kube.aclose()
