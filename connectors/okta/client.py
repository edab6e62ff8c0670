"""Okta Management API calls as an API service app: a private-key JWT client assertion
for a client-credentials token, Okta's error body as a clear outcome, and its rate
limit (429 + X-Rate-Limit-Reset) waited out within a bound."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import jwt

from connectors.base import ConnectorFailure
from connectors.http_errors import refuse, send

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPES = "okta.users.manage okta.apps.manage okta.apiTokens.manage"
_ASSERTION_LIFETIME_S = 300
_EARLY_S = 120


def rate_limit_reset(response: httpx.Response) -> float | None:
    """Seconds until Okta's ``X-Rate-Limit-Reset`` (a UTC epoch second)."""
    try:
        reset = float(response.headers.get("X-Rate-Limit-Reset", ""))
    except ValueError:
        return None
    return reset - time.time()


class OktaClient:
    def __init__(
        self,
        *,
        org_url: str,
        client_id: str,
        private_key_pem: str,
        key_id: str | None = None,
        token_url: str | None = None,
        scopes: str = SCOPES,
        attempts: int = 5,
        timeout_s: float = 10.0,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=org_url.rstrip("/") + "/",
            timeout=timeout_s,
            headers={"Accept": "application/json"},
        )
        self.token_url = token_url or f"{org_url.rstrip('/')}/oauth2/v1/token"
        self._client_id, self._key, self._kid, self._scopes = (
            client_id,
            private_key_pem,
            key_id,
            scopes,
        )
        self._attempts = attempts
        self._token: tuple[str, float] | None = None

    def assertion(self) -> str:
        """iss = sub = the client id, aud = the token URL, a fresh jti each time."""
        now = int(time.time())
        claims = {
            "iss": self._client_id,
            "sub": self._client_id,
            "aud": self.token_url,
            "iat": now,
            "exp": now + _ASSERTION_LIFETIME_S,
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": self._kid} if self._kid else None
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    async def _bearer(self) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        response = await send(
            lambda: self._http.post(self.token_url, data=self._token_form()),
            "the Okta token endpoint",
            attempts=self._attempts,
            pause=rate_limit_reset,
        )
        if response.status_code != 200:
            raise ConnectorFailure(
                "access_denied", f"Okta refused Blastwall's service app: {_oauth_error(response)}"
            )
        answer = response.json()
        lifetime = int(answer.get("expires_in", 3600))
        self._token = (str(answer["access_token"]), time.monotonic() + lifetime - _EARLY_S)
        return self._token[0]

    def _token_form(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "scope": self._scopes,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(),
        }

    async def call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """The JSON answer; None for 204, or for 404 when ``missing_ok``."""
        bearer = await self._bearer()
        response = await send(
            lambda: self._http.request(
                method, path, params=params, headers={"Authorization": f"Bearer {bearer}"}
            ),
            what,
            attempts=self._attempts,
            pause=rate_limit_reset,
        )
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise _refused(response, what)
        return response.json() if response.content else None

    async def aclose(self) -> None:
        await self._http.aclose()


def _refused(response: httpx.Response, what: str) -> ConnectorFailure:
    """Okta's ``{"errorCode", "errorSummary", ...}`` kept in the summary."""
    failure = refuse(response, what)
    try:
        body = response.json()
    except ValueError:
        return failure
    if isinstance(body, dict) and body.get("errorCode"):
        detail = f"{body['errorCode']}: {str(body.get('errorSummary', ''))[:200]}"
        return ConnectorFailure(failure.code, f"{failure.summary} ({detail})")
    return failure


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return (
        f"{body.get('error', response.status_code)}: {str(body.get('error_description', ''))[:200]}"
    )
