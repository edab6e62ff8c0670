"""Shared by the HTTP connectors: HTTP answers as ConnectorFailure, and a bounded
retry for the answers worth retrying (429 and 5xx), with exponential backoff and jitter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from tenacity import (
    AsyncRetrying,
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
) -> httpx.Response:
    """Send, retrying 429/5xx and timeouts within a bound; then a clear failure."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((Retryable, httpx.TransportError)),
            stop=stop_after_attempt(attempts) | stop_after_delay(max_wait_s),
            wait=wait_exponential_jitter(multiplier=0.2, max=4.0, jitter=0.2),
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
