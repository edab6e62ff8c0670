"""How Blastwall authenticates to CyberArk, chosen by configuration.

Self-hosted PVWA: ``POST /PasswordVault/API/auth/Cyberark/Logon`` with a Vault user's
name and password; the answer is the session token as a JSON string, sent bare as
the ``Authorization`` header, and given back with ``POST /PasswordVault/API/Auth/Logoff``.
Privilege Cloud: OAuth client credentials against the Identity tenant's
``/oauth2/platformtoken``, sent as ``Bearer``. Either way a token is reused until
CyberArk answers 401 (expired), then the client logs on again, once.
"""

from __future__ import annotations

import time
from typing import Protocol

import httpx

from connectors.base import ConnectorFailure
from connectors.cyberark.errors import described
from connectors.http_errors import send


class Logon(Protocol):
    async def header(self, http: httpx.AsyncClient) -> str:
        """The ``Authorization`` header value, logging on when none is held."""
        ...

    def forget(self) -> None:
        """Drop the held token (CyberArk said it expired)."""
        ...

    async def logoff(self, http: httpx.AsyncClient) -> None: ...


class VaultUserLogon:
    """CyberArk authentication as a Vault user (the PVWA's own logon)."""

    def __init__(self, username: str, password: str, attempts: int = 3) -> None:
        self._username = username
        self._password = password
        self._attempts = attempts
        self._token: str | None = None

    async def header(self, http: httpx.AsyncClient) -> str:
        if self._token is None:
            body = {
                "username": self._username,
                "password": self._password,
                "concurrentSession": True,
            }
            response = await send(
                lambda: http.post("auth/Cyberark/Logon", json=body),
                "CyberArk logon",
                attempts=self._attempts,
            )
            if response.status_code >= 400:
                raise _refused(response)
            token = response.json()
            if not isinstance(token, str) or not token:
                raise ConnectorFailure("access_denied", "CyberArk logon answered no token")
            self._token = token
        return self._token

    def forget(self) -> None:
        self._token = None

    async def logoff(self, http: httpx.AsyncClient) -> None:
        token, self._token = self._token, None
        if token is not None:
            await http.post("Auth/Logoff", headers={"Authorization": token})


class ClientCredentialsLogon:
    """Privilege Cloud: an Identity service user's OAuth client credentials."""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, attempts: int = 3
    ) -> None:
        self._token_url = token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._attempts = attempts
        self._token: tuple[str, float] | None = None

    async def header(self, http: httpx.AsyncClient) -> str:
        if self._token is None or self._token[1] <= time.monotonic():
            response = await send(
                lambda: http.post(self._token_url, data=self._form),
                "CyberArk Identity token",
                attempts=self._attempts,
            )
            if response.status_code >= 400:
                raise _refused(response)
            answer = response.json()
            lifetime = float(answer.get("expires_in") or 900)
            self._token = (str(answer["access_token"]), time.monotonic() + lifetime - 30)
        return f"Bearer {self._token[0]}"

    def forget(self) -> None:
        self._token = None

    async def logoff(self, http: httpx.AsyncClient) -> None:
        self._token = None


def _refused(response: httpx.Response) -> ConnectorFailure:
    return ConnectorFailure(
        "access_denied",
        f"CyberArk refused Blastwall's logon (HTTP {response.status_code}: {described(response)})",
    )
