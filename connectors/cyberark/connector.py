"""CyberArk as a Connector: PVWA's Vault-user logon, or Privilege Cloud's OAuth client."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.identities import AffectedIdentity
from connectors.base import TableConnector
from connectors.cyberark.actions import SuspendSessions, TerminateSessions
from connectors.cyberark.client import CyberArkClient
from connectors.cyberark.logon import Logon
from connectors.cyberark.specs import CONNECTOR


class CyberArkConnector(TableConnector[CyberArkClient]):
    rate_per_s = 5.0

    def __init__(
        self, *, url: str, logon: Logon, attempts: int = 5, verify_timeout_s: float = 10.0
    ) -> None:
        client = CyberArkClient(url=url, logon=logon, attempts=attempts)
        actions = (TerminateSessions(), SuspendSessions())
        super().__init__(CONNECTOR, client, actions, verify_timeout_s)

    def done(self, target: AffectedIdentity, after: Mapping[str, object]) -> str:
        sessions = after.get("sessions")
        count = len(sessions) if isinstance(sessions, list) else 0
        verb = next((k for k in ("terminated", "suspended") if k in after), "done")
        return f"{target.external_id}: {count} live session(s) {verb}"

    async def aclose(self) -> None:
        await self._client.aclose()
