"""A thin Vault / OpenBao HTTP client: token header, namespace, bounded retries."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.base import ConnectorFailure
from connectors.http_errors import refuse, send


class VaultClient:
    def __init__(
        self,
        *,
        addr: str,
        token: str,
        namespace: str | None = None,
        timeout_s: float = 10.0,
        attempts: int = 5,
    ) -> None:
        headers = {"X-Vault-Token": token, "X-Vault-Request": "true"}
        if namespace:
            headers["X-Vault-Namespace"] = namespace
        self._http = httpx.AsyncClient(
            base_url=addr.rstrip("/") + "/v1/", headers=headers, timeout=timeout_s
        )
        self._attempts = attempts

    async def call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """The JSON answer; None for 204, or for 404 (and Vault's "invalid accessor" 400)
        when ``missing_ok``."""
        response = await send(
            lambda: self._http.request(method, path, json=json, params=params),
            what,
            attempts=self._attempts,
        )
        if response.status_code == 204:
            return None
        if missing_ok and _missing(response):
            return None
        if response.status_code >= 400:
            raise refuse(response, what)
        body: dict[str, Any] = response.json()
        return body

    async def aclose(self) -> None:
        await self._http.aclose()


def _missing(response: httpx.Response) -> bool:
    if response.status_code == 404:
        return True
    text = response.text.lower()
    return response.status_code in (400, 403) and (
        "invalid accessor" in text or "failed to find accessor" in text
    )


def data(answer: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if answer is None or not isinstance(answer.get("data"), dict):
        raise ConnectorFailure("not_found", f"{what} not found")
    found: dict[str, Any] = answer["data"]
    return found
