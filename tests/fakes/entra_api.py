"""A request-level Microsoft Entra stand-in: the v2.0 token endpoint (client
credentials) and the Microsoft Graph v1.0 routes Blastwall calls, with Graph's
status codes and error body (``{"error": {"code", "message", "innerError"}}``).

Tests arrange tenants' objects, read what it received (``calls``, with when), and
inject throttling (429 with ``Retry-After``) or server errors.
"""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def graph_error(status: int, code: str, message: str) -> JSONResponse:
    inner = {"date": datetime.now(UTC).isoformat(), "request-id": str(uuid.uuid4())}
    return JSONResponse(
        {"error": {"code": code, "message": message, "innerError": inner}}, status_code=status
    )


def _missing(object_id: str) -> JSONResponse:
    return graph_error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def _token_error(status: int, error: str, code: int, text: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text}",
            "error_codes": [code],
            "timestamp": datetime.now(UTC).isoformat(),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status_code=status,
    )


class EntraStandIn:
    def __init__(self) -> None:
        self.tenant_id = str(uuid.uuid4())
        self.client_id = str(uuid.uuid4())
        self.client_secret = f"Bw8Q~{uuid.uuid4().hex}"
        self.principals: dict[str, dict[str, Any]] = {}
        self.applications: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.assignments: dict[str, list[dict[str, Any]]] = {}  # by resource SP id
        self.grants: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.called_at: list[float] = []
        self._tokens: set[str] = set()
        self._faults: list[tuple[int, int]] = []
        self._ids = itertools.count(1)
        self.app = self._build()

    # --- arranging --------------------------------------------------------------

    def add_app(self, name: str, secrets: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
        """An app registration with ``secrets`` client secrets, and its service principal."""
        app_id = str(uuid.uuid4())
        application: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "appId": app_id,
            "displayName": name,
            "passwordCredentials": [self._secret(n) for n in range(secrets)],
            "keyCredentials": [],
        }
        self.applications[application["id"]] = application
        principal: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "appId": app_id,
            "displayName": name,
            "accountEnabled": True,
            "passwordCredentials": [],
            "keyCredentials": [],
        }
        self.principals[principal["id"]] = principal
        return application, principal

    def _secret(self, n: int) -> dict[str, Any]:
        return {
            "keyId": str(uuid.uuid4()),
            "displayName": f"deploy secret {n + 1}",
            "hint": "Bw8",
            "startDateTime": "2026-01-01T00:00:00Z",
            "endDateTime": "2027-01-01T00:00:00Z",
            "customKeyIdentifier": None,
            "secretText": None,
        }

    def add_user(self, upn: str) -> dict[str, Any]:
        user = {
            "id": str(uuid.uuid4()),
            "userPrincipalName": upn,
            "signInSessionsValidFromDateTime": "2026-01-01T00:00:00Z",
        }
        self.users[user["id"]] = user
        return user

    def assign(self, resource: dict[str, Any], principal: dict[str, Any]) -> dict[str, Any]:
        assignment = {
            "id": f"asg{next(self._ids):040d}",
            "appRoleId": str(uuid.uuid4()),
            "principalId": principal["id"],
            "principalType": "ServicePrincipal",
            "principalDisplayName": principal["displayName"],
            "resourceId": resource["id"],
            "resourceDisplayName": resource["displayName"],
            "createdDateTime": datetime.now(UTC).isoformat(),
            "deletedDateTime": None,
        }
        self.assignments.setdefault(resource["id"], []).append(assignment)
        return assignment

    def grant(self, client: dict[str, Any], resource: dict[str, Any], scope: str) -> dict[str, Any]:
        grant = {
            "id": f"grant{next(self._ids):020d}",
            "clientId": client["id"],
            "consentType": "AllPrincipals",
            "principalId": None,
            "resourceId": resource["id"],
            "scope": scope,
        }
        self.grants[grant["id"]] = grant
        return grant

    def fail_next(self, times: int, status: int, retry_after: int = 0) -> None:
        self._faults += [(status, retry_after)] * times

    def graph_calls(self, method: str) -> list[str]:
        return [p for m, p in self.calls if m == method and p.startswith("/v1.0/")]

    # --- the API ------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            self.calls.append((request.method, request.url.path))
            self.called_at.append(time.monotonic())
            if self._faults:
                status, retry_after = self._faults.pop(0)
                if status == 429:
                    throttled = graph_error(429, "TooManyRequests", "Too many requests.")
                    throttled.headers["Retry-After"] = str(retry_after)
                    return throttled
                return graph_error(status, "serviceNotAvailable", "Service unavailable.")
            if request.url.path.startswith("/v1.0/") and self._bearer(request) not in self._tokens:
                return graph_error(
                    401, "InvalidAuthenticationToken", "Access token validation failure."
                )
            result: Response = await call_next(request)
            return result

        @app.post("/{tenant}/oauth2/v2.0/token")
        async def token(tenant: str, request: Request) -> Response:
            form = await request.form()
            return self._token(tenant, {k: str(v) for k, v in form.items()})

        self._principal_routes(app)
        self._application_routes(app)
        self._user_routes(app)
        self._grant_routes(app)
        return app

    def _token(self, tenant: str, form: dict[str, str]) -> Response:
        if tenant != self.tenant_id:
            return _token_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return _token_error(400, "unsupported_grant_type", 70003, "Unsupported grant type.")
        if form.get("client_id") != self.client_id:
            return _token_error(
                400, "unauthorized_client", 700016, "Application not found in the directory."
            )
        if form.get("client_secret") != self.client_secret:
            return _token_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != GRAPH_SCOPE:
            return _token_error(
                400, "invalid_scope", 1002012, "The provided value for scope is not valid."
            )
        issued = f"eyJ0eXAiOiJKV1QifQ.{uuid.uuid4().hex}.sig"
        self._tokens.add(issued)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": issued,
            }
        )

    def _principal_routes(self, app: FastAPI) -> None:
        @app.get("/v1.0/servicePrincipals/{sp_id}")
        async def get_principal(sp_id: str) -> Response:
            found = self.principals.get(sp_id)
            return JSONResponse(found) if found else _missing(sp_id)

        @app.patch("/v1.0/servicePrincipals/{sp_id}")
        async def patch_principal(sp_id: str, request: Request) -> Response:
            found = self.principals.get(sp_id)
            if found is None:
                return _missing(sp_id)
            body = await request.json()
            if not isinstance(body.get("accountEnabled"), bool):
                return graph_error(400, "Request_BadRequest", "Invalid value for accountEnabled.")
            found["accountEnabled"] = body["accountEnabled"]
            return Response(status_code=204)

        @app.get("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo")
        async def assigned_to(sp_id: str) -> Response:
            if sp_id not in self.principals:
                return _missing(sp_id)
            return JSONResponse({"value": self.assignments.get(sp_id, [])})

        @app.delete("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}")
        async def unassign(sp_id: str, assignment_id: str) -> Response:
            held = self.assignments.get(sp_id, [])
            if not any(a["id"] == assignment_id for a in held):
                return _missing(assignment_id)
            self.assignments[sp_id] = [a for a in held if a["id"] != assignment_id]
            return Response(status_code=204)

        @app.post("/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo")
        async def reassign(sp_id: str, request: Request) -> Response:
            body = await request.json()
            principal = self.principals.get(str(body.get("principalId")))
            resource = self.principals.get(sp_id)
            if principal is None or resource is None or body.get("resourceId") != sp_id:
                return graph_error(400, "Request_BadRequest", "Invalid principal or resource.")
            created = self.assign(resource, principal)
            created["appRoleId"] = body.get("appRoleId")
            return JSONResponse(created, status_code=201)

    def _application_routes(self, app: FastAPI) -> None:
        @app.get("/v1.0/applications(appId='{app_id}')")
        async def by_app_id(app_id: str) -> Response:
            found = [a for a in self.applications.values() if a["appId"] == app_id]
            return JSONResponse(found[0]) if found else _missing(app_id)

        @app.get("/v1.0/applications/{object_id}")
        async def by_object_id(object_id: str) -> Response:
            found = self.applications.get(object_id)
            return JSONResponse(found) if found else _missing(object_id)

        @app.post("/v1.0/applications/{object_id}/removePassword")
        async def remove_password(object_id: str, request: Request) -> Response:
            found = self.applications.get(object_id)
            if found is None:
                return _missing(object_id)
            key_id = (await request.json()).get("keyId")
            kept = [c for c in found["passwordCredentials"] if c["keyId"] != key_id]
            if len(kept) == len(found["passwordCredentials"]):
                return graph_error(
                    400, "Request_BadRequest", f"No password credential found with keyId {key_id}."
                )
            found["passwordCredentials"] = kept
            return Response(status_code=204)

    def _user_routes(self, app: FastAPI) -> None:
        @app.get("/v1.0/users/{user_id}")
        async def get_user(user_id: str) -> Response:
            found = self._user(user_id)
            return JSONResponse(found) if found else _missing(user_id)

        @app.post("/v1.0/users/{user_id}/revokeSignInSessions")
        async def revoke(user_id: str) -> Response:
            found = self._user(user_id)
            if found is None:
                return _missing(user_id)
            found["signInSessionsValidFromDateTime"] = datetime.now(UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            return JSONResponse(
                {
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean",
                    "value": True,
                }
            )

    def _user(self, key: str) -> dict[str, Any] | None:
        return self.users.get(key) or next(
            (u for u in self.users.values() if u["userPrincipalName"] == key), None
        )

    def _grant_routes(self, app: FastAPI) -> None:
        @app.get("/v1.0/oauth2PermissionGrants/{grant_id}")
        async def get_grant(grant_id: str) -> Response:
            found = self.grants.get(grant_id)
            return JSONResponse(found) if found else _missing(grant_id)

        @app.delete("/v1.0/oauth2PermissionGrants/{grant_id}")
        async def delete_grant(grant_id: str) -> Response:
            if self.grants.pop(grant_id, None) is None:
                return _missing(grant_id)
            return Response(status_code=204)

        @app.post("/v1.0/oauth2PermissionGrants")
        async def create_grant(request: Request) -> Response:
            body = await request.json()
            needed = ("clientId", "consentType", "resourceId", "scope")
            if any(not body.get(k) for k in needed):
                return graph_error(400, "Request_BadRequest", "A required property is missing.")
            grant = {"id": f"grant{next(self._ids):020d}", "principalId": None, **body}
            self.grants[grant["id"]] = grant
            return JSONResponse(grant, status_code=201)

    @staticmethod
    def _bearer(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
