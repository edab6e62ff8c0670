"""Reads a secret scanning alert as the GitHub App, for the webhook door: GitHub's
``secret_scanning_alert`` webhook omits the leaked value, the REST answer has it.

``GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}`` with an
installation token (the App needs the ``secret_scanning_alerts: read``
permission). The webhook's installation is used when it names one, else the
configured one. Few attempts and a short timeout: GitHub waits on our answer.
"""

from __future__ import annotations

import re

from bot.core.ports import AlertLookupFailed
from connectors.base import ConnectorFailure
from connectors.github.client import GitHubClient

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class SecretAlerts:
    """One GitHub client per installation, each caching its installation token."""

    def __init__(
        self,
        *,
        api_url: str,
        app_id: str,
        private_key_pem: str,
        installation_id: str | None,
        attempts: int = 2,
        timeout_s: float = 5.0,
    ) -> None:
        self._settings = (api_url, app_id, private_key_pem, attempts, timeout_s)
        self._default = installation_id
        self._clients: dict[str, GitHubClient] = {}

    def _client(self, installation_id: int | None) -> GitHubClient:
        chosen = str(installation_id) if installation_id is not None else self._default
        if not chosen:
            raise AlertLookupFailed("no installation: the webhook names none, none is configured")
        if chosen not in self._clients:
            api_url, app_id, key, attempts, timeout_s = self._settings
            self._clients[chosen] = GitHubClient(
                api_url=api_url,
                app_id=app_id,
                private_key_pem=key,
                installation_id=chosen,
                attempts=attempts,
                timeout_s=timeout_s,
            )
        return self._clients[chosen]

    async def __call__(
        self, repository: str, number: int, installation_id: int | None
    ) -> dict[str, object]:
        if not _REPOSITORY.match(repository):
            raise AlertLookupFailed(f"not a repository name: {repository[:100]!r}")
        client = self._client(installation_id)
        path = f"repos/{repository}/secret-scanning/alerts/{number}"
        try:
            answer = await client.call("GET", path, "secret scanning alert", auth="installation")
        except ConnectorFailure as exc:
            raise AlertLookupFailed(str(exc)) from exc
        if not isinstance(answer, dict):
            raise AlertLookupFailed("the answer is not a JSON object")
        return answer
