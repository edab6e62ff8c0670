"""GitHub REST calls as a GitHub App: an RS256 JWT for /app routes, an installation
token for organisation routes, bounded retries for 429 and 5xx."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt

from connectors.http_errors import refuse, send

API_VERSION = "2022-11-28"


class GitHubClient:
    def __init__(
        self,
        *,
        api_url: str,
        app_id: str,
        private_key_pem: str,
        installation_id: str | None,
        attempts: int = 5,
        timeout_s: float = 10.0,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/") + "/",
            timeout=timeout_s,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION},
        )
        self._app_id = app_id
        self._key = private_key_pem
        self._installation_id = installation_id
        self._attempts = attempts
        self._installation_token: tuple[str, float] | None = None

    def app_jwt(self) -> str:
        now = int(time.time())
        claims = {"iat": now - 60, "exp": now + 9 * 60, "iss": self._app_id}
        return jwt.encode(claims, self._key, algorithm="RS256")

    async def installation_token(self) -> str:
        cached = self._installation_token
        if cached and cached[1] > time.monotonic():
            return cached[0]
        if not self._installation_id:
            raise refuse(httpx.Response(403), "organisation routes (no installation configured)")
        answer = await self.call(
            "POST",
            f"app/installations/{self._installation_id}/access_tokens",
            "installation token",
            auth="app",
        )
        token = str(answer["token"])
        self._installation_token = (token, time.monotonic() + 50 * 60)
        return token

    async def request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        auth: str,
        json: Any = None,
        token: str | None = None,
    ) -> httpx.Response:
        """``auth``: "app" (JWT), "installation", "token" (the given token) or "none"."""
        bearer: str | None = None
        if auth == "app":
            bearer = self.app_jwt()
        elif auth == "installation":
            bearer = await self.installation_token()
        elif auth == "token":
            bearer = token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await send(
            lambda: self._http.request(method, path, json=json, headers=headers),
            what,
            attempts=self._attempts,
        )

    async def call(self, method: str, path: str, what: str, *, auth: str, json: Any = None) -> Any:
        response = await self.request(method, path, what, auth=auth, json=json)
        if response.status_code >= 400:
            raise refuse(response, what)
        return response.json() if response.content else None
