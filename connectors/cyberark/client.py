"""A thin PVWA REST client: the logon's ``Authorization`` header, one fresh logon
when CyberArk says the token expired (401), bounded retries for 429 and 5xx."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.cyberark.errors import refused
from connectors.cyberark.logon import Logon
from connectors.http_errors import send


class CyberArkClient:
    def __init__(
        self, *, url: str, logon: Logon, attempts: int = 5, timeout_s: float = 10.0
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=url.rstrip("/") + "/PasswordVault/API/", timeout=timeout_s
        )
        self._logon = logon
        self._attempts = attempts

    async def request(
        self, method: str, path: str, what: str, *, params: dict[str, str | int] | None = None
    ) -> httpx.Response:
        """The answer, whatever its status; a 401 is met with one fresh logon."""
        response = await self._send(method, path, what, params)
        if response.status_code == 401:
            self._logon.forget()
            response = await self._send(method, path, what, params)
        return response

    async def _send(
        self, method: str, path: str, what: str, params: dict[str, str | int] | None
    ) -> httpx.Response:
        headers = {"Authorization": await self._logon.header(self._http)}
        return await send(
            lambda: self._http.request(method, path, params=params, headers=headers),
            what,
            attempts=self._attempts,
        )

    async def call(
        self, method: str, path: str, what: str, *, params: dict[str, str | int] | None = None
    ) -> Any:
        response = await self.request(method, path, what, params=params)
        if response.status_code >= 400:
            raise refused(response, what)
        return response.json() if response.content else None

    async def aclose(self) -> None:
        try:
            await self._logon.logoff(self._http)
        except httpx.HTTPError:
            pass  # the token expires by itself; closing must not fail on it
        await self._http.aclose()
