"""Outbound HTTP to Microsoft (Bot Connector, Graph, the token endpoint).

Teams throttles bots with 429 and answers 412/502/504 under load; Microsoft's
guidance is to retry those with jittered exponential backoff. The retries are
bounded so a chat outage never holds an event handler for long.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
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
    def __init__(self, status: int, body: str, retry_after_s: float = 0.0) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.body, self.retry_after_s = status, body, retry_after_s


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, _Retryable | httpx.TransportError)


def _retry_after(answer: httpx.Response) -> float:
    try:
        return max(0.0, float(answer.headers.get("retry-after", "0")))
    except ValueError:  # an HTTP date: fall back to our own backoff
        return 0.0


def _backoff(max_wait_s: float) -> Callable[[RetryCallState], float]:
    """Jittered exponential, but never sooner than Microsoft's Retry-After; capped."""
    jittered = wait_random_exponential(multiplier=0.2, max=max_wait_s)

    def wait(state: RetryCallState) -> float:
        failed = state.outcome.exception() if state.outcome else None
        hinted = failed.retry_after_s if isinstance(failed, _Retryable) else 0.0
        return min(max(jittered(state), hinted), max_wait_s)

    return wait


@dataclass
class Caller:
    """One httpx client; ``max_wait_s`` caps each backoff step (tests make it small)."""

    client: httpx.AsyncClient
    max_wait_s: float = 8.0

    async def send(self, method: str, url: str, **kwargs: Any) -> Any:
        """The JSON answer (or None for an empty body) of a call retried when transient."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=_backoff(self.max_wait_s),
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
            raise _Retryable(answer.status_code, answer.text, _retry_after(answer))
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

    def forget(self) -> None:
        """Drop a token the service refused (revoked or rotated before its expiry)."""
        self._token, self._until = "", 0.0

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


async def authorized(
    caller: Caller, tokens: TokenSource, method: str, url: str, **kwargs: Any
) -> Any:
    """A call with the scope's token; a 401 gets one fresh token and one more try."""
    try:
        return await caller.send(method, url, headers=await tokens.header(), **kwargs)
    except TeamsCallError as exc:
        if exc.status != 401:
            raise
    tokens.forget()
    return await caller.send(method, url, headers=await tokens.header(), **kwargs)
