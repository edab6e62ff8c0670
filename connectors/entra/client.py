"""Microsoft Graph calls as a daemon: a client-credentials token, Graph's error body
turned into a clear outcome, and throttling (429 + Retry-After) retried within a bound."""

from __future__ import annotations

import time
from typing import Any

import httpx

from connectors.base import ConnectorFailure
from connectors.http_errors import refuse, retry_after, send

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_EARLY_S = 120  # renew a token this long before Entra says it expires


class GraphClient:
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        login_url: str = "https://login.microsoftonline.com",
        graph_url: str = "https://graph.microsoft.com/v1.0",
        attempts: int = 5,
        timeout_s: float = 10.0,
    ) -> None:
        self._http = httpx.AsyncClient(timeout=timeout_s)
        self._token_url = f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self._graph = graph_url.rstrip("/") + "/"
        self._client = (client_id, client_secret)
        self._attempts = attempts
        self._token: tuple[str, float] | None = None

    async def _bearer(self) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        client_id, secret = self._client
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": GRAPH_SCOPE,
        }
        response = await send(
            lambda: self._http.post(self._token_url, data=form),
            "the Entra token endpoint",
            attempts=self._attempts,
            pause=retry_after,
        )
        if response.status_code != 200:
            raise ConnectorFailure(
                "access_denied",
                f"Entra refused Blastwall's client credentials: {_token_error(response)}",
            )
        answer = response.json()
        lifetime = int(answer.get("expires_in", 3599))
        self._token = (str(answer["access_token"]), time.monotonic() + lifetime - _EARLY_S)
        return self._token[0]

    async def request(
        self, method: str, path: str, what: str, *, json: Any = None
    ) -> httpx.Response:
        bearer = await self._bearer()
        url = path if path.startswith("http") else self._graph + path.lstrip("/")
        return await send(
            lambda: self._http.request(
                method, url, json=json, headers={"Authorization": f"Bearer {bearer}"}
            ),
            what,
            attempts=self._attempts,
            pause=retry_after,
        )

    async def call(
        self, method: str, path: str, what: str, *, json: Any = None, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        """The JSON answer; None for 204, or for 404 when ``missing_ok``."""
        response = await self.request(method, path, what, json=json)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise _refused(response, what)
        if response.status_code == 204 or not response.content:
            return None
        body: dict[str, Any] = response.json()
        return body

    async def found(self, path: str, what: str) -> dict[str, Any]:
        answer = await self.call("GET", path, what, missing_ok=True)
        if answer is None:
            raise ConnectorFailure("not_found", f"{what} not found")
        return answer

    async def aclose(self) -> None:
        await self._http.aclose()


def _refused(response: httpx.Response, what: str) -> ConnectorFailure:
    """Graph's ``{"error": {"code", "message"}}`` kept in the summary (it names no secret)."""
    failure = refuse(response, what)
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return failure
    if isinstance(error, dict) and error.get("code"):
        detail = f"{error.get('code')}: {str(error.get('message', ''))[:200]}"
        return ConnectorFailure(failure.code, f"{failure.summary} ({detail})")
    return failure


def _token_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("error", f"HTTP {response.status_code}"))
