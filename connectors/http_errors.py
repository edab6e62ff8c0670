"""Shared by the HTTP connectors: HTTP answers as ConnectorFailure, and a bounded
retry for the answers worth retrying (429 and 5xx), with exponential backoff and jitter,
or the pause the server asked for (``pause``: Retry-After, Okta's X-Rate-Limit-Reset)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from connectors.base import ConnectorFailure


class Retryable(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


async def send(
    request: Callable[[], Awaitable[httpx.Response]],
    what: str,
    *,
    attempts: int = 5,
    max_wait_s: float = 20.0,
    pause: Callable[[httpx.Response], float | None] | None = None,
) -> httpx.Response:
    """Send, retrying 429/5xx and timeouts within a bound; then a clear failure.

    ``pause`` reads how long the server asked us to wait from a throttled answer
    (None: it did not say); the wait never exceeds ``MAX_SERVER_PAUSE_S``."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((Retryable, httpx.TransportError)),
            stop=stop_after_attempt(attempts) | stop_after_delay(max_wait_s),
            wait=_waiting(pause),
            reraise=True,
        ):
            with attempt:
                response = await request()
                if response.status_code == 429 or response.status_code >= 500:
                    raise Retryable(response)
                return response
    except Retryable as exc:
        code = "throttled" if exc.response.status_code == 429 else "unavailable"
        raise ConnectorFailure(
            code, f"{what}: still HTTP {exc.response.status_code} after {attempts} attempts"
        ) from exc
    except httpx.TimeoutException as exc:
        raise ConnectorFailure("timeout", f"{what}: timed out") from exc
    except httpx.TransportError as exc:
        raise ConnectorFailure("unreachable", f"{what}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


MAX_SERVER_PAUSE_S = 10.0
_BACKOFF = wait_exponential_jitter(multiplier=0.2, max=4.0, jitter=0.2)


def _waiting(
    pause: Callable[[httpx.Response], float | None] | None,
) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        failed = state.outcome.exception() if state.outcome else None
        if pause is not None and isinstance(failed, Retryable):
            asked = pause(failed.response)
            if asked is not None:
                return min(max(asked, 0.0), MAX_SERVER_PAUSE_S)
        return float(_BACKOFF(state))

    return wait


def retry_after(response: httpx.Response) -> float | None:
    """The seconds of a ``Retry-After`` header (Microsoft Graph sends seconds)."""
    value = response.headers.get("Retry-After", "")
    try:
        return float(value)
    except ValueError:
        return None


def refuse(response: httpx.Response, what: str) -> ConnectorFailure:
    """A 4xx answer as a clear outcome."""
    if response.status_code in (401, 403):
        return ConnectorFailure(
            "access_denied",
            f"Blastwall's credential may not do this on {what} (HTTP {response.status_code})",
        )
    if response.status_code == 404:
        return ConnectorFailure("not_found", f"{what} not found")
    return ConnectorFailure(
        f"http_{response.status_code}", f"{what}: HTTP {response.status_code} {response.text[:200]}"
    )
