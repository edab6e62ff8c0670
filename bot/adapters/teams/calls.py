"""Outbound HTTP to Microsoft (Bot Connector, Graph, the token endpoint).

Teams throttles bots with 429 and answers 412/502/504 under load; Microsoft's
guidance is to retry those with jittered exponential backoff. The retries are
bounded so a chat outage never holds an event handler for long.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

RETRYABLE = frozenset({412, 429, 502, 504})
ATTEMPTS = 5


class TeamsCallError(Exception):
    """Microsoft answered with an error that retrying will not fix."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


class _Retryable(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.body = status, body


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, _Retryable | httpx.TransportError)


@dataclass
class Caller:
    """One httpx client; ``max_wait_s`` caps each backoff step (tests make it small)."""

    client: httpx.AsyncClient
    max_wait_s: float = 8.0

    async def send(self, method: str, url: str, **kwargs: Any) -> Any:
        """The JSON answer (or None for an empty body) of a call retried when transient."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=wait_random_exponential(multiplier=0.2, max=self.max_wait_s),
            stop=stop_after_attempt(ATTEMPTS),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, url, **kwargs)
        except _Retryable as exc:
            raise TeamsCallError(exc.status, exc.body) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, url: str, **kwargs: Any) -> Any:
        answer = await self.client.request(method, url, **kwargs)
        if answer.status_code in RETRYABLE:
            raise _Retryable(answer.status_code, answer.text)
        if answer.status_code >= 400:
            raise TeamsCallError(answer.status_code, answer.text)
        return answer.json() if answer.content else None


@dataclass
class TokenSource:
    """Client-credentials tokens from the Entra token endpoint, cached until near expiry.

    One per scope: the Bot Connector and Graph take different audiences.
    """

    caller: Caller
    login_url: str
    tenant_id: str
    app_id: str
    password: str
    scope: str
    _token: str = field(default="", repr=False)
    _until: float = 0.0

    async def header(self) -> dict[str, str]:
        if not self._token or time.monotonic() > self._until:
            answer = await self.caller.send(
                "POST",
                f"{self.login_url.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self.password,
                    "scope": self.scope,
                },
            )
            self._token = str(answer["access_token"])
            self._until = time.monotonic() + max(60.0, float(answer.get("expires_in", 3600)) - 300)
        return {"Authorization": f"Bearer {self._token}"}
