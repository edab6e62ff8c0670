"""GitHub as a Connector, authenticated as a GitHub App."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.secrets.sealing import Sealer
from connectors.github.actions import RevokeCredential, RevokePatOrgAccess, SuspendInstallation
from connectors.github.client import GitHubClient
from connectors.github.specs import CONNECTOR
from connectors.http_connector import HttpConnector


class GitHubConnector(HttpConnector[GitHubClient]):
    rate_per_s = 10.0

    def __init__(
        self,
        *,
        api_url: str,
        app_id: str,
        private_key_pem: str,
        installation_id: str | None,
        sealer: Sealer,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
    ) -> None:
        client = GitHubClient(
            api_url=api_url,
            app_id=app_id,
            private_key_pem=private_key_pem,
            installation_id=installation_id,
            attempts=attempts,
        )
        actions = (RevokeCredential(sealer.unseal), SuspendInstallation(), RevokePatOrgAccess())
        super().__init__(CONNECTOR, client, actions, verify_timeout_s)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], sealer: Sealer) -> GitHubConnector | None:
        """None unless BLASTWALL_GITHUB_APP_ID and _APP_PRIVATE_KEY (a PEM file) are set."""
        app_id, key_file = (
            environ.get("BLASTWALL_GITHUB_APP_ID"),
            environ.get("BLASTWALL_GITHUB_APP_PRIVATE_KEY"),
        )
        if not app_id or not key_file:
            return None
        return cls(
            api_url=environ.get("BLASTWALL_GITHUB_API_URL") or "https://api.github.com",
            app_id=app_id,
            private_key_pem=Path(key_file).read_text(),
            installation_id=environ.get("BLASTWALL_GITHUB_INSTALLATION_ID"),
            sealer=sealer,
        )
