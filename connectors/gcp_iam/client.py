"""Google REST calls (IAM v1 and Resource Manager v3) with the service account's token.

Google answers errors as ``{"error": {"code", "message", "status"}}``; the status
(NOT_FOUND, PERMISSION_DENIED, ABORTED, ...) becomes the failure's code. 429
(RESOURCE_EXHAUSTED) and 5xx are retried within a bound by ``http_errors.send``.
"""

from __future__ import annotations

from typing import Any

import httpx

from connectors.base import ConnectorFailure
from connectors.gcp_iam.auth import AccessTokens, ServiceAccountKey
from connectors.http_errors import send

DEFAULT_IAM_URL = "https://iam.googleapis.com"
DEFAULT_CRM_URL = "https://cloudresourcemanager.googleapis.com"


class GcpClient:
    def __init__(
        self,
        *,
        key: ServiceAccountKey,
        token_url: str,
        iam_url: str = DEFAULT_IAM_URL,
        crm_url: str = DEFAULT_CRM_URL,
        attempts: int = 5,
        timeout_s: float = 10.0,
    ) -> None:
        self._http = httpx.AsyncClient(timeout=timeout_s)
        self._tokens = AccessTokens(self._http, key, token_url)
        self._iam = iam_url.rstrip("/") + "/v1/"
        self._crm = crm_url.rstrip("/") + "/v3/"
        self._attempts = attempts

    async def iam(
        self, method: str, path: str, what: str, *, json: Any = None, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        """An IAM v1 call (``path`` below /v1/); None for a 404 when ``missing_ok``."""
        return await self._call(method, self._iam + path, what, json, missing_ok)

    async def crm(self, path: str, what: str, *, json: Any) -> dict[str, Any]:
        """A Resource Manager v3 call (always a POST: getIamPolicy, setIamPolicy)."""
        found = await self._call("POST", self._crm + path, what, json, False)
        return found or {}

    async def _call(
        self, method: str, url: str, what: str, json: Any, missing_ok: bool
    ) -> dict[str, Any] | None:
        response = await self._send(method, url, what, json)
        if response.status_code == 401:  # a token revoked or expired early: one fresh try
            self._tokens.forget()
            response = await self._send(method, url, what, json)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise refuse(response, what)
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {}

    async def _send(self, method: str, url: str, what: str, json: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self._tokens.token()}"}
        return await send(
            lambda: self._http.request(method, url, json=json, headers=headers),
            what,
            attempts=self._attempts,
        )

    async def aclose(self) -> None:
        await self._http.aclose()


def google_error(response: httpx.Response) -> tuple[str, str]:
    """Google's (status, message) from an error answer, or ("", "") when it has none."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("status") or ""), str(error.get("message") or "")[:200]


def refuse(response: httpx.Response, what: str) -> ConnectorFailure:
    status, message = google_error(response)
    said = f"{what}: HTTP {response.status_code} {status} {message}".rstrip()
    if response.status_code in (401, 403):
        return ConnectorFailure("access_denied", f"Blastwall's service account may not: {said}")
    if response.status_code == 404:
        return ConnectorFailure("not_found", f"{what} not found")
    return ConnectorFailure(status.lower() or f"http_{response.status_code}", said)
