"""Kubernetes API calls through kubernetes_asyncio: a bearer token (or a token file,
re-read on every call because projected tokens rotate), an optional CA file, bounded
retries for 429 (honouring Retry-After) and 5xx, and ``Status`` answers as outcomes.

Answers come back as plain dicts in the API's own shape (camelCase), which is what
the snapshots keep and what a re-creation sends back.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from kubernetes_asyncio import client as k8s

from connectors.base import ConnectorFailure

Call = Callable[..., Awaitable[Any]]
T = TypeVar("T")

_CODES = {
    401: "access_denied",
    403: "access_denied",
    404: "not_found",
    422: "invalid",
    429: "throttled",
}


class KubeClient:
    """One ApiClient per event loop (its aiohttp session belongs to the loop that made it)."""

    def __init__(
        self,
        *,
        api_url: str,
        token: str | None = None,
        token_file: str | None = None,
        ca_file: str | None = None,
        attempts: int = 5,
        max_wait_s: float = 20.0,
        timeout_s: float = 10.0,
    ) -> None:
        if not token and not token_file:
            raise ValueError("a Kubernetes token or token file is required")
        self._url = api_url.rstrip("/")
        self._token = token
        self._token_file = token_file
        self._ca_file = ca_file
        self._attempts = attempts
        self._max_wait_s = max_wait_s
        self._timeout_s = timeout_s
        self._api: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _configuration(self) -> Any:
        config = k8s.Configuration(host=self._url)
        config.api_key_prefix["BearerToken"] = "Bearer"
        config.api_key["BearerToken"] = self._token or ""
        if self._token_file:
            config.refresh_api_key_hook = self._read_token_file
        if self._ca_file:
            config.ssl_ca_cert = self._ca_file
        return config

    def _read_token_file(self, config: Any) -> None:
        assert self._token_file is not None
        config.api_key["BearerToken"] = Path(self._token_file).read_text().strip()

    def api(self, kind: str) -> Any:
        """``core``, ``apps``, ``networking`` or ``rbac``: the SDK's API object."""
        loop = asyncio.get_running_loop()
        if self._api is None or self._loop is not loop:
            self._api, self._loop = k8s.ApiClient(self._configuration()), loop
        made = {
            "core": k8s.CoreV1Api,
            "apps": k8s.AppsV1Api,
            "networking": k8s.NetworkingV1Api,
            "rbac": k8s.RbacAuthorizationV1Api,
        }[kind]
        return made(self._api)

    async def call(self, what: str, method: Call, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The answer as a dict, or a ConnectorFailure saying why not."""
        answer = await self._send(what, method, args, kwargs, missing_ok=False)
        assert answer is not None
        return answer

    async def find(
        self, what: str, method: Call, *args: Any, **kwargs: Any
    ) -> dict[str, Any] | None:
        """As ``call``, but None when the object does not exist (404)."""
        return await self._send(what, method, args, kwargs, missing_ok=True)

    async def _send(
        self,
        what: str,
        method: Call,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        missing_ok: bool,
    ) -> dict[str, Any] | None:
        """Retries 429 and 5xx (and connection failures) within ``attempts`` and
        ``max_wait_s``; 429 waits as long as Retry-After says (at most 10 s)."""
        deadline = time.monotonic() + self._max_wait_s
        for attempt in range(1, self._attempts + 1):
            try:
                return self.plain(await method(*args, _request_timeout=self._timeout_s, **kwargs))
            except k8s.ApiException as exc:
                if missing_ok and exc.status == 404:
                    return None
                pause = _pause(exc, attempt)
                if pause is None or attempt == self._attempts or _late(deadline, pause):
                    raise failure(exc, what, attempt) from exc
            except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError) as exc:
                raise ConnectorFailure("unreachable", f"{what}: TLS: {exc}") from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                pause = 0.1 * 2**attempt
                if attempt == self._attempts or _late(deadline, pause):
                    code = "timeout" if isinstance(exc, TimeoutError) else "unreachable"
                    raise ConnectorFailure(code, f"{what}: {exc or 'timed out'}") from exc
            except OSError as exc:  # the token file, read before each call
                raise ConnectorFailure("access_denied", f"{what}: token file: {exc}") from exc
            await asyncio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def plain(self, answer: Any) -> dict[str, Any]:
        if answer is None:
            return {}
        plain: dict[str, Any] = self._api.sanitize_for_serialization(answer)
        return plain

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.close()
            self._api = None


async def retry_conflicts(attempt: Callable[[], Awaitable[T]], tries: int = 3) -> T:
    """Run ``attempt`` (which reads afresh, then writes with the resourceVersion or UID it
    read) again when the API server answers 409 Conflict, within ``tries``."""
    for remaining in range(tries - 1, -1, -1):
        try:
            return await attempt()
        except ConnectorFailure as failed:
            if failed.code != "conflict" or not remaining:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _late(deadline: float, pause: float) -> bool:
    return time.monotonic() + pause > deadline


def _pause(exc: Any, attempt: int) -> float | None:
    """How long to wait before retrying, or None when the answer is final."""
    if exc.status == 429:
        header = str((exc.headers or {}).get("Retry-After", ""))
        return min(float(header), 10.0) if header.isdigit() else 0.2 * attempt
    code: int = exc.status or 0
    return 0.1 * 2**attempt if code >= 500 else None


def status_of(exc: Any) -> dict[str, Any]:
    """The ``Status`` object the API server answered with (empty when it sent none)."""
    try:
        body = json.loads(exc.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) and body.get("kind") == "Status" else {}


def failure(exc: Any, what: str, attempts: int = 1) -> ConnectorFailure:
    """A refused call as a clear outcome, from the Status's reason and message."""
    status = status_of(exc)
    reason = str(status.get("reason") or exc.reason or "")
    message = str(status.get("message") or reason)[:300]
    if exc.status == 409:
        code = "already_exists" if reason == "AlreadyExists" else "conflict"
    elif exc.status in _CODES:
        code = _CODES[exc.status]
    else:
        code = "unavailable" if (exc.status or 0) >= 500 else f"http_{exc.status}"
    again = f" after {attempts} attempts" if attempts > 1 else ""
    return ConnectorFailure(code, f"{what}: HTTP {exc.status} {reason}{again}: {message}")
