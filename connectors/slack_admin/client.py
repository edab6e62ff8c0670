"""Slack Web API calls: a token per call, Slack's errors as failures, 429 waited out.

Slack answers HTTP 200 with ``{"ok": false, "error": ...}`` for its errors, and
HTTP 429 with ``Retry-After`` when a method's rate tier is exceeded: Blastwall
waits what Slack asks (capped) a bounded number of times, then says so.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from connectors.base import ConnectorFailure

DEFAULT_API_URL = "https://slack.com/api/"
MAX_WAIT_S = 30.0
DENIED = frozenset(
    {"not_authed", "missing_scope", "not_allowed_token_type", "not_an_admin", "no_permission"}
)


class SlackAnswer(Exception):
    """Slack said ``ok: false``; ``error`` is its code. Callers decide what it means."""

    def __init__(self, method: str, error: str, answer: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error}")
        self.method, self.error, self.answer = method, error, answer


class SlackWebApi:
    def __init__(self, *, api_url: str, attempts: int = 5, timeout_s: float = 10.0) -> None:
        self._http = httpx.AsyncClient(base_url=api_url.rstrip("/") + "/", timeout=timeout_s)
        self._attempts = attempts

    async def call(self, method: str, token: str, **args: str) -> dict[str, Any]:
        """The answer of ``method`` called with ``token``; SlackAnswer when not ok."""
        response = await self._post(method, token, args)
        if response.status_code >= 400:
            raise ConnectorFailure("unavailable", f"Slack {method}: HTTP {response.status_code}")
        answer = response.json()
        if not isinstance(answer, dict):
            raise ConnectorFailure("unavailable", f"Slack {method}: not a JSON object")
        if not answer.get("ok"):
            raise SlackAnswer(method, str(answer.get("error") or "unknown_error"), answer)
        return answer

    async def _post(self, method: str, token: str, args: dict[str, str]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._http.post(method, data=args, headers=headers)
            except httpx.TimeoutException as exc:
                raise ConnectorFailure("timeout", f"Slack {method}: timed out") from exc
            except httpx.TransportError as exc:
                raise ConnectorFailure("unreachable", f"Slack {method}: {exc}") from exc
            if response.status_code != 429 and response.status_code < 500:
                return response
            if attempt < self._attempts:
                await asyncio.sleep(_pause(response, attempt))
        code = "throttled" if response.status_code == 429 else "unavailable"
        raise ConnectorFailure(
            code,
            f"Slack {method}: still HTTP {response.status_code} after {self._attempts} attempts",
        )

    async def aclose(self) -> None:
        await self._http.aclose()


def _pause(response: httpx.Response, attempt: int) -> float:
    """Slack's Retry-After when it gives one (capped), else a short exponential backoff."""
    try:
        asked = float(response.headers.get("Retry-After", ""))
    except ValueError:
        asked = 0.2 * 2 ** (attempt - 1)
    return min(max(asked, 0.0), MAX_WAIT_S)


def failure(answer: SlackAnswer) -> ConnectorFailure:
    """A Slack error as an outcome: the token's rights, or Slack's own code."""
    if answer.error in DENIED or answer.error == "invalid_auth":
        needed = answer.answer.get("needed")
        extra = f" (needs {needed})" if needed else ""
        return ConnectorFailure("access_denied", f"Slack {answer.method}: {answer.error}{extra}")
    return ConnectorFailure(answer.error, f"Slack {answer.method}: {answer.error}")
