"""GitHub as a Connector, authenticated as a GitHub App.

Revoking a leaked token needs the token itself, which Blastwall holds only
sealed: the composition root hands in ``unseal``, so this package needs nothing
of the service layer.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.activity import ActivityReport, ActivityWindow
from bot.core.identities import AffectedIdentity
from connectors.base import TableConnector
from connectors.github.actions import RevokeCredential, RevokePatOrgAccess, SuspendInstallation
from connectors.github.audit import GitHubAuditLog
from connectors.github.client import GitHubClient
from connectors.github.specs import CONNECTOR


class GitHubConnector(TableConnector[GitHubClient]):
    rate_per_s = 10.0

    def __init__(
        self,
        *,
        api_url: str,
        app_id: str,
        private_key_pem: str,
        installation_id: str | None,
        unseal: Callable[[str], str],
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
        actions = (RevokeCredential(unseal), SuspendInstallation(), RevokePatOrgAccess())
        super().__init__(CONNECTOR, client, actions, verify_timeout_s)
        self._audit = GitHubAuditLog(client, unseal)

    def covers(self, identity: AffectedIdentity) -> bool:
        """Activity comes from the organisation audit log (an ``org`` attribute and a
        token or actor to search for)."""
        return self._audit.covers(identity)

    async def activity(self, identity: AffectedIdentity, window: ActivityWindow) -> ActivityReport:
        return await self._audit.activity(identity, window)
