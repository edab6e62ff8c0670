"""Slack as a Connector: revoke a leaked token with itself; reset a user's sessions.

The leaked token is held sealed on the identity; the composition root hands in
``unseal``, so this package needs nothing of the service layer.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.base import TableConnector
from connectors.slack_admin.actions import ResetUserSessions, RevokeToken
from connectors.slack_admin.client import DEFAULT_API_URL, SlackWebApi
from connectors.slack_admin.specs import CONNECTOR


class SlackAdminConnector(TableConnector[SlackWebApi]):
    rate_per_s = 1.0  # admin.users.session.reset is Slack's tier 2: about 20 a minute

    def __init__(
        self,
        *,
        unseal: Callable[[str], str],
        admin_token: str | None = None,
        api_url: str = DEFAULT_API_URL,
        attempts: int = 5,
        verify_timeout_s: float = 10.0,
    ) -> None:
        client = SlackWebApi(api_url=api_url, attempts=attempts)
        actions = (RevokeToken(unseal), ResetUserSessions(admin_token))
        super().__init__(CONNECTOR, client, actions, verify_timeout_s)

    async def aclose(self) -> None:
        await self._client.aclose()
