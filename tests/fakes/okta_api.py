"""A request-level Okta stand-in: the org authorization server's token endpoint for
API service apps (``private_key_jwt``: the client assertion's RS256 signature is
checked against the app's registered JWKS, and its claims: aud = the token URL,
iss = sub = the client id, exp, a jti never seen before) and the Management API
routes Blastwall calls, with Okta's error body and rate-limit headers.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_SUMMARIES = {
    "E0000001": "Api validation failed",
    "E0000006": "You do not have permission to perform the requested action",
    "E0000007": "Not found: Resource not found",
    "E0000011": "Invalid token provided",
    "E0000047": "API call exceeded rate limit due to too many requests.",
}


def okta_error(status: int, code: str, detail: str = "") -> JSONResponse:
    summary = _SUMMARIES[code] + (f": {detail}" if detail else "")
    return JSONResponse(
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": f"oae{secrets.token_hex(10)}",
            "errorCauses": [],
        },
        status_code=status,
    )


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


@dataclass
class ServiceApp:
    client_id: str
    kid: str
    private_key_pem: str
    jwks: dict[str, Any]
    scopes: frozenset[str]


class OktaStandIn:
    def __init__(self) -> None:
        self.clients: dict[str, ServiceApp] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.apps: dict[str, dict[str, Any]] = {}
        self.app_tokens: dict[str, list[dict[str, Any]]] = {}
        self.api_tokens: dict[str, dict[str, Any]] = {}
        self.sessions_cleared: list[tuple[str, str | None]] = []
        self.calls: list[tuple[str, str]] = []
        self.called_at: list[float] = []
        self._jtis: set[str] = set()
        self._issued: dict[str, frozenset[str]] = {}
        self._faults: list[tuple[int, int]] = []
        self._ids = itertools.count(1)
        self.app = self._build()

    # --- arranging --------------------------------------------------------------

    def service_app(
        self, scopes: str = "okta.users.manage okta.apps.manage okta.apiTokens.manage"
    ) -> ServiceApp:
        """An API service app whose public key is registered as its JWKS."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = secrets.token_hex(8)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        client = ServiceApp(
            f"0oa{secrets.token_hex(8)}",
            kid,
            pem,
            {"keys": [public | {"kid": kid, "use": "sig"}]},
            frozenset(scopes.split()),
        )
        self.clients[client.client_id] = client
        return client

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):017d}"

    def add_user(self, login: str, status: str = "ACTIVE") -> str:
        user_id = self._id("00u")
        self.users[user_id] = {"id": user_id, "status": status, "profile": {"login": login}}
        return user_id

    def add_app(self, label: str, refresh_tokens: int = 0) -> str:
        app_id = self._id("0oa")
        self.apps[app_id] = {
            "id": app_id,
            "label": label,
            "name": "oidc_client",
            "status": "ACTIVE",
        }
        self.app_tokens[app_id] = [
            {
                "id": self._id("oar"),
                "status": "ACTIVE",
                "clientId": app_id,
                "scopes": ["offline_access"],
            }
            for _ in range(refresh_tokens)
        ]
        return app_id

    def add_api_token(self, name: str, owner: str) -> str:
        token_id = self._id("00T")
        self.api_tokens[token_id] = {
            "id": token_id,
            "name": name,
            "userId": owner,
            "clientName": "Okta API",
            "tokenWindow": "P30D",
            "created": "2026-01-01T00:00:00.000Z",
            "expiresAt": "2027-01-01T00:00:00.000Z",
        }
        return token_id

    def fail_next(self, times: int, status: int, reset_in_s: int = 0) -> None:
        self._faults += [(status, reset_in_s)] * times

    # --- the API ------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            self.calls.append((request.method, request.url.path))
            self.called_at.append(time.monotonic())
            if self._faults:
                status, reset_in_s = self._faults.pop(0)
                if status == 429:
                    limited = okta_error(429, "E0000047")
                    limited.headers.update(
                        {
                            "X-Rate-Limit-Limit": "600",
                            "X-Rate-Limit-Remaining": "0",
                            "X-Rate-Limit-Reset": str(int(time.time()) + reset_in_s),
                        }
                    )
                    return limited
                return JSONResponse(
                    {"errorCode": "E0000009", "errorSummary": "Internal Server Error"},
                    status_code=status,
                )
            result: Response = await call_next(request)
            return result

        @app.post("/oauth2/v1/token")
        async def token(request: Request) -> Response:
            form = {k: str(v) for k, v in (await request.form()).items()}
            return self._token(form, f"{str(request.base_url).rstrip('/')}/oauth2/v1/token")

        self._user_routes(app)
        self._app_routes(app)
        self._api_token_routes(app)
        return app

    def _token(self, form: dict[str, str], token_url: str) -> Response:
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "The grant type is not supported.")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        client, problem = self._verified(form["client_assertion"], token_url)
        if client is None:
            return _oauth_error(401, "invalid_client", problem)
        asked = frozenset(form.get("scope", "").split())
        if not asked or not asked <= client.scopes:
            return _oauth_error(
                400,
                "invalid_scope",
                "The following scopes are not allowed: " + " ".join(sorted(asked - client.scopes)),
            )
        issued = secrets.token_urlsafe(32)
        self._issued[issued] = asked
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": issued,
                "scope": " ".join(sorted(asked)),
            }
        )

    def _verified(self, assertion: str, token_url: str) -> tuple[ServiceApp | None, str]:
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return None, "The client_assertion is not a valid JWT."
        client = self.clients.get(str(unverified.get("iss")))
        if client is None:
            return None, "The client_assertion token has an invalid issuer."
        keys = [k for k in client.jwks["keys"] if k.get("kid") == header.get("kid")] or client.jwks[
            "keys"
        ]
        try:
            claims = jwt.decode(
                assertion,
                jwt.PyJWK(keys[0]).key,
                algorithms=["RS256"],
                audience=token_url,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.InvalidAudienceError:
            return None, "The audience claim for client_assertion must be the endpoint invoked."
        except jwt.PyJWTError:
            return None, "The client_assertion signature is invalid."
        if claims["sub"] != client.client_id:
            return None, "The client_assertion token has an invalid subject."
        if claims["exp"] - int(claims.get("iat", time.time())) > 3600:
            return None, "The client_assertion token expiration is too far in the future."
        if claims["jti"] in self._jtis:
            return None, "The client_assertion token has already been used."
        self._jtis.add(claims["jti"])
        return client, ""

    def _allowed(self, request: Request, scope: str) -> Response | None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if token not in self._issued:
            return okta_error(401, "E0000011")
        if scope not in self._issued[token]:
            return okta_error(403, "E0000006")
        return None

    def _user_routes(self, app: FastAPI) -> None:
        scope = "okta.users.manage"

        @app.get("/api/v1/users/{user_id}")
        async def get_user(user_id: str, request: Request) -> Response:
            refused = self._allowed(request, scope) or self._no_user(user_id)
            return refused or JSONResponse(self.users[user_id])

        @app.post("/api/v1/users/{user_id}/lifecycle/{operation}")
        async def lifecycle(user_id: str, operation: str, request: Request) -> Response:
            refused = self._allowed(request, scope) or self._no_user(user_id)
            if refused:
                return refused
            moves = {"suspend": ("ACTIVE", "SUSPENDED"), "unsuspend": ("SUSPENDED", "ACTIVE")}
            user = self.users[user_id]
            if operation == "deactivate":
                if user["status"] == "DEPROVISIONED":
                    return okta_error(400, "E0000001", "the user is already deactivated")
                user["status"] = "DEPROVISIONED"
                return JSONResponse({})
            if operation not in moves:
                return okta_error(404, "E0000007", operation)
            source, dest = moves[operation]
            if user["status"] != source:
                return okta_error(
                    400, "E0000001", f"Cannot {operation} a user that is not {source.lower()}"
                )
            user["status"] = dest
            return JSONResponse({})

        @app.delete("/api/v1/users/{user_id}/sessions")
        async def clear_sessions(user_id: str, request: Request) -> Response:
            refused = self._allowed(request, scope) or self._no_user(user_id)
            if refused:
                return refused
            self.sessions_cleared.append((user_id, request.query_params.get("oauthTokens")))
            return Response(status_code=204)

    def _no_user(self, user_id: str) -> Response | None:
        return None if user_id in self.users else okta_error(404, "E0000007", f"{user_id} (User)")

    def _app_routes(self, app: FastAPI) -> None:
        scope = "okta.apps.manage"

        def refusal(request: Request, app_id: str) -> Response | None:
            missing = (
                None if app_id in self.apps else okta_error(404, "E0000007", f"{app_id} (App)")
            )
            return self._allowed(request, scope) or missing

        @app.get("/api/v1/apps/{app_id}")
        async def get_app(app_id: str, request: Request) -> Response:
            return refusal(request, app_id) or JSONResponse(self.apps[app_id])

        @app.post("/api/v1/apps/{app_id}/lifecycle/{operation}")
        async def lifecycle(app_id: str, operation: str, request: Request) -> Response:
            refused = refusal(request, app_id)
            if refused:
                return refused
            states = {"activate": "ACTIVE", "deactivate": "INACTIVE"}
            if operation not in states:
                return okta_error(404, "E0000007", operation)
            self.apps[app_id]["status"] = states[operation]
            return JSONResponse({})

        @app.get("/api/v1/apps/{app_id}/tokens")
        async def tokens(app_id: str, request: Request) -> Response:
            return refusal(request, app_id) or JSONResponse(self.app_tokens.get(app_id, []))

        @app.delete("/api/v1/apps/{app_id}/tokens")
        async def revoke_tokens(app_id: str, request: Request) -> Response:
            refused = refusal(request, app_id)
            if refused:
                return refused
            self.app_tokens[app_id] = []
            return Response(status_code=204)

    def _api_token_routes(self, app: FastAPI) -> None:
        scope = "okta.apiTokens.manage"

        @app.get("/api/v1/api-tokens/{token_id}")
        async def get_token(token_id: str, request: Request) -> Response:
            refused = self._allowed(request, scope)
            if refused:
                return refused
            found = self.api_tokens.get(token_id)
            return (
                JSONResponse(found)
                if found
                else okta_error(404, "E0000007", f"{token_id} (ApiToken)")
            )

        @app.delete("/api/v1/api-tokens/{token_id}")
        async def revoke_token(token_id: str, request: Request) -> Response:
            refused = self._allowed(request, scope)
            if refused:
                return refused
            if self.api_tokens.pop(token_id, None) is None:
                return okta_error(404, "E0000007", f"{token_id} (ApiToken)")
            return Response(status_code=204)
