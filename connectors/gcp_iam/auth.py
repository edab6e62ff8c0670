"""A service account's OAuth access token: a self-signed JWT exchanged at the token endpoint.

Google's server-to-server flow: an RS256 assertion (iss: the account's email,
scope: cloud-platform, aud: the token URL, at most an hour long, ``kid``: the
key's id) posted with grant_type jwt-bearer. The token is cached until shortly
before Google says it expires.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jwt

from connectors.base import ConnectorFailure
from connectors.http_errors import send

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
EARLY_S = 60  # refresh this long before Google's expiry


@dataclass(frozen=True)
class ServiceAccountKey:
    """The fields of a JSON key file Blastwall uses. ``private_key`` is never printed."""

    client_email: str
    private_key_id: str
    private_key: str = field(repr=False)

    @classmethod
    def from_file(cls, path: str) -> ServiceAccountKey:
        try:
            info = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(
                str(info["client_email"]), str(info["private_key_id"]), str(info["private_key"])
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a service account JSON key file") from exc


class AccessTokens:
    def __init__(self, http: httpx.AsyncClient, key: ServiceAccountKey, token_url: str) -> None:
        self._http = http
        self._key = key
        self._token_url = token_url
        self._cached: tuple[str, float] | None = None

    def assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self._key.client_email,
            "scope": SCOPE,
            "aud": self._token_url,
            "iat": now,
            "exp": now + 3600,
        }
        headers = {"kid": self._key.private_key_id}
        return jwt.encode(claims, self._key.private_key, algorithm="RS256", headers=headers)

    async def token(self) -> str:
        cached = self._cached
        if cached and cached[1] > time.monotonic():
            return cached[0]
        form = {"grant_type": GRANT_TYPE, "assertion": self.assertion()}
        response = await send(
            lambda: self._http.post(self._token_url, data=form), "the Google token endpoint"
        )
        if response.status_code != 200:
            raise ConnectorFailure(
                "access_denied",
                f"the Google token endpoint refused {self._key.client_email}: "
                f"HTTP {response.status_code} {_oauth_error(response)}",
            )
        answer = response.json()
        lifetime = float(answer.get("expires_in") or 3600)
        self._cached = (str(answer["access_token"]), time.monotonic() + lifetime - EARLY_S)
        return self._cached[0]

    def forget(self) -> None:
        self._cached = None


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return f"{body.get('error', '')}: {body.get('error_description', '')}"[:200]
