"""Inbound authentication: every activity's bearer JWT, checked by botframework-connector.

Signature against the OpenID metadata's JWKS (the key must be endorsed for
``msteams``), ``iss``, ``aud`` = our app id, expiry with botframework's 5-minute
skew, and the ``serviceurl`` claim equal to the activity's ``serviceUrl``. We add
what a single-tenant Teams bot also needs: the channel is ``msteams``, the token
comes from the configured issuer (never the emulator or skill paths), and the
tenant is ours.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jwt
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticationConfiguration,
    BotFrameworkAuthenticationFactory,
    JwtTokenExtractor,
    PasswordServiceClientCredentialFactory,
)

from bot.adapters.teams.connector import CONNECTOR_SCOPE

log = logging.getLogger(__name__)
TEAMS = "msteams"


class Unauthorized(Exception):
    """The request is not from the Bot Framework for this bot: answer 401."""


class Verifier:
    def __init__(
        self, app_id: str, password: str, tenant_id: str | None, metadata_url: str, issuer: str
    ) -> None:
        self._issuer, self._tenant, self._metadata_url = issuer, tenant_id, metadata_url
        self._auth = BotFrameworkAuthenticationFactory.create(
            to_channel_from_bot_oauth_scope=CONNECTOR_SCOPE,
            to_bot_from_channel_token_issuer=issuer,
            to_bot_from_channel_open_id_metadata_url=metadata_url,
            credential_factory=PasswordServiceClientCredentialFactory(app_id, password, tenant_id),
            auth_configuration=AuthenticationConfiguration(required_endorsements=[TEAMS]),
        )

    async def verify(self, activity: dict[str, Any], header: str | None) -> None:
        """Raise Unauthorized unless every check passes."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("no bearer token")
        if activity.get("channelId") != "msteams" or not activity.get("serviceUrl"):
            raise Unauthorized("not a Teams activity")
        tenant = (activity.get("channelData") or {}).get("tenant") or {}
        if self._tenant and tenant.get("id") != self._tenant:
            raise Unauthorized("another tenant")
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise Unauthorized("not a JWT") from exc
        if issuer != self._issuer:
            raise Unauthorized("token from another issuer")
        # The key fetch in botframework-connector is a blocking requests.get: keep it
        # off the event loop that serves everyone else.
        try:
            await asyncio.to_thread(self._check, activity, f"Bearer {token}")
        except Exception as exc:
            log.info("Teams activity refused: %s", exc)
            raise Unauthorized(str(exc)) from exc

    def _check(self, activity: dict[str, Any], header: str) -> None:
        parsed = Activity().deserialize(activity)
        asyncio.run(self._auth.authenticate_request(parsed, header))
        asyncio.run(self._endorsed(header))

    async def _endorsed(self, header: str) -> None:
        """botframework-connector skips the endorsement check for a key that lists
        none; a key must be endorsed for Teams, so check it (from its cache) here."""
        kid = jwt.get_unverified_header(header.partition(" ")[2]).get("kid")
        key = await JwtTokenExtractor.get_open_id_metadata(self._metadata_url).get(kid)
        if key is None or TEAMS not in (key.endorsements or []):
            raise PermissionError("signing key not endorsed for msteams")
