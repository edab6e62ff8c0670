"""A request-level Google Cloud stand-in: the OAuth token endpoint, IAM v1 service
accounts and keys, and Resource Manager v3 project IAM policies.

Routes, bodies, status codes and error answers (``{"error": {"code", "message",
"status"}}``) follow Google's REST reference. The token endpoint checks the JWT
assertion for real (RS256 signature with the service account's public key, iss,
aud, scope, lifetime); API calls need a token it issued. Policies carry an etag
that changes on every write, and a stale etag gets 409 ABORTED. Tests arrange
state, inject 429/5xx answers or concurrent policy writers, and read the calls.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_ACCOUNT = r"projects/(?P<project>[^/]+)/serviceAccounts/(?P<account>[^/:]+)"
_ROUTES = [
    ("GET", re.compile(rf"^v1/{_ACCOUNT}$"), "get_account"),
    ("POST", re.compile(rf"^v1/{_ACCOUNT}:(?P<verb>disable|enable)$"), "toggle_account"),
    ("GET", re.compile(rf"^v1/{_ACCOUNT}/keys$"), "list_keys"),
    ("GET", re.compile(rf"^v1/{_ACCOUNT}/keys/(?P<key>[^/:]+)$"), "get_key"),
    (
        "POST",
        re.compile(rf"^v1/{_ACCOUNT}/keys/(?P<key>[^/:]+):(?P<verb>disable|enable)$"),
        "toggle_key",
    ),
    ("DELETE", re.compile(rf"^v1/{_ACCOUNT}/keys/(?P<key>[^/:]+)$"), "delete_key"),
    ("POST", re.compile(r"^v3/projects/(?P<project>[^/:]+):getIamPolicy$"), "get_policy"),
    ("POST", re.compile(r"^v3/projects/(?P<project>[^/:]+):setIamPolicy$"), "set_policy"),
]


def google_error(code: int, message: str) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}}
    return JSONResponse(body, status_code=code)


class Fault(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class GcpStandIn:
    def __init__(self, client_email: str = "blastwall@sec-tools.iam.gserviceaccount.com") -> None:
        self.client_email = client_email
        self.key_id = "b1a57a11000000000000000000000000000000aa"
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.accounts: dict[str, dict[str, Any]] = {}  # by email
        self.keys: dict[str, dict[str, Any]] = {}  # by key id
        self.policies: dict[str, dict[str, Any]] = {}  # by project id
        self.calls: list[tuple[str, str]] = []
        self.bodies: list[tuple[str, Any]] = []
        self.assertions: list[dict[str, Any]] = []  # the claims of every accepted JWT
        self._tokens: set[str] = set()
        self._faults: list[int] = []
        self._rivals = 0  # concurrent writers still to race Blastwall's next policy writes
        self._ids = itertools.count(1)
        self.app = self._build()

    # --- arranging --------------------------------------------------------------

    def key_file(self) -> str:
        """Blastwall's own service account JSON key file, as Google issues it."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return json.dumps(
            {
                "type": "service_account",
                "project_id": "sec-tools",
                "private_key_id": self.key_id,
                "private_key": pem,
                "client_email": self.client_email,
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )

    def add_account(self, project: str, name: str) -> str:
        email = f"{name}@{project}.iam.gserviceaccount.com"
        unique = f"1{next(self._ids):020d}"
        self.accounts[email] = {
            "name": f"projects/{project}/serviceAccounts/{email}",
            "projectId": project,
            "uniqueId": unique,
            "email": email,
            "displayName": name,
            "etag": "MDEwMjE5MjA=",
            "oauth2ClientId": unique,
            "disabled": False,
        }
        return email

    def add_key(self, email: str) -> str:
        """A user-managed key of the account; its full resource name."""
        key_id = f"{next(self._ids):040x}"
        name = f"projects/{self.accounts[email]['projectId']}/serviceAccounts/{email}/keys/{key_id}"
        self.keys[key_id] = {
            "name": name,
            "validAfterTime": "2026-01-05T10:00:00Z",
            "validBeforeTime": "9999-12-31T23:59:59Z",
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "USER_MANAGED",
            "disabled": False,
        }
        return name

    def grant(self, project: str, role: str, member: str) -> None:
        policy = self.policies.setdefault(project, {"version": 1, "etag": "", "bindings": []})
        binding = next((b for b in policy["bindings"] if b["role"] == role), None)
        if binding is None:
            policy["bindings"].append({"role": role, "members": [member]})
        elif member not in binding["members"]:
            binding["members"].append(member)
        self._new_etag(project)

    def members(self, project: str, role: str) -> list[str]:
        policy = self.policies.get(project, {"bindings": []})
        return [m for b in policy["bindings"] if b["role"] == role for m in b["members"]]

    def fail_next(self, times: int, status: int) -> None:
        self._faults += [status] * times

    def race_policy_writes(self, times: int) -> None:
        """The next ``times`` policy reads are followed at once by someone else's write."""
        self._rivals = times

    # --- the API ------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/token")
        async def token(request: Request) -> Response:
            self.calls.append(("POST", "/token"))
            form = dict((await request.form()).items())
            return self._token(form, str(request.url))

        @app.api_route("/{path:path}", methods=["GET", "POST", "DELETE"])
        async def api(path: str, request: Request) -> Response:
            self.calls.append((request.method, f"/{path}"))
            body = json.loads(await request.body() or b"null")
            self.bodies.append((f"/{path}", body))
            if self._faults:
                status = self._faults.pop(0)
                return google_error(status, "Quota exceeded" if status == 429 else "Internal")
            if _bearer(request) not in self._tokens:
                return google_error(401, "Request had invalid authentication credentials.")
            for method, pattern, handler in _ROUTES:
                found = pattern.match(path)
                if found and method == request.method:
                    try:
                        answer = getattr(self, f"_{handler}")(body, **found.groupdict())
                    except Fault as fault:
                        return google_error(fault.code, fault.message)
                    return JSONResponse(answer)
            return google_error(404, f"Method not found: {path}")

        return app

    def _token(self, form: dict[str, Any], url: str) -> Response:
        def refused(error: str, description: str) -> Response:
            body = {"error": error, "error_description": description}
            return JSONResponse(body, status_code=400)

        if form.get("grant_type") != GRANT:
            return refused("unsupported_grant_type", "Invalid grant_type.")
        try:
            claims = jwt.decode(
                str(form.get("assertion", "")),
                self.private_key.public_key(),
                algorithms=["RS256"],
                audience=url,
                options={"require": ["iss", "aud", "iat", "exp", "scope"]},
            )
            kid = jwt.get_unverified_header(str(form["assertion"])).get("kid")
        except jwt.PyJWTError as exc:
            return refused("invalid_grant", f"Invalid JWT: {exc}")
        if claims["iss"] != self.client_email or kid != self.key_id:
            return refused("invalid_grant", "Invalid JWT Signature.")
        if claims["exp"] - claims["iat"] > 3600 or SCOPE not in str(claims["scope"]).split():
            return refused("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        self.assertions.append(claims)
        issued = f"ya29.stand-in-{next(self._ids)}"
        self._tokens.add(issued)
        return JSONResponse({"access_token": issued, "expires_in": 3599, "token_type": "Bearer"})

    # --- IAM v1 -------------------------------------------------------------------

    def _account(self, project: str, account: str) -> dict[str, Any]:
        found = next(
            (a for a in self.accounts.values() if account in (a["email"], a["uniqueId"])), None
        )
        if found is None or project not in ("-", found["projectId"]):
            code = 403 if project == "-" else 404
            raise Fault(
                code, f"Unknown service account {account}" if code == 404 else "Permission denied"
            )
        return found

    def _key(self, project: str, account: str, key: str) -> dict[str, Any]:
        owner = self._account(project, account)
        found = self.keys.get(key)
        if found is None or f"/serviceAccounts/{owner['email']}/" not in found["name"]:
            raise Fault(404, f"Service account key {key} does not exist.")
        return found

    def _get_account(self, body: Any, project: str, account: str) -> dict[str, Any]:
        found = self._account(project, account)
        return {k: v for k, v in found.items() if k != "disabled" or v}

    def _toggle_account(self, body: Any, project: str, account: str, verb: str) -> dict[str, Any]:
        _empty(body)
        self._account(project, account)["disabled"] = verb == "disable"
        return {}

    def _list_keys(self, body: Any, project: str, account: str) -> dict[str, Any]:
        owner = self._account(project, account)
        mine = [k for k in self.keys.values() if f"/serviceAccounts/{owner['email']}/" in k["name"]]
        return {"keys": [{k: v for k, v in key.items() if k != "disabled" or v} for key in mine]}

    def _get_key(self, body: Any, project: str, account: str, key: str) -> dict[str, Any]:
        found = self._key(project, account, key)
        return {k: v for k, v in found.items() if k != "disabled" or v}

    def _toggle_key(
        self, body: Any, project: str, account: str, key: str, verb: str
    ) -> dict[str, Any]:
        allowed = (
            {"serviceAccountKeyDisableReason", "extendedStatusMessage"}
            if verb == "disable"
            else set()
        )
        if not isinstance(body, dict) or set(body) - allowed:
            raise Fault(400, "Invalid JSON payload received. Unknown name.")
        self._key(project, account, key)["disabled"] = verb == "disable"
        return {}

    def _delete_key(self, body: Any, project: str, account: str, key: str) -> dict[str, Any]:
        self._key(project, account, key)
        del self.keys[key]
        return {}

    # --- Resource Manager v3 --------------------------------------------------------

    def _policy(self, project: str) -> dict[str, Any]:
        if project not in self.policies:
            raise Fault(403, f"The caller does not have permission on projects/{project}")
        return self.policies[project]

    def _get_policy(self, body: Any, project: str) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(json.dumps(self._policy(project)))
        if self._rivals > 0:  # someone else writes right after this read
            self._rivals -= 1
            self.grant(project, "roles/viewer", f"user:rival{self._rivals}@example.com")
        return answer

    def _set_policy(self, body: Any, project: str) -> dict[str, Any]:
        current = self._policy(project)
        policy = body.get("policy") if isinstance(body, dict) else None
        if not isinstance(policy, dict):
            raise Fault(400, "Request contains an invalid argument.")
        if "etag" in policy and policy["etag"] != current["etag"]:
            raise Fault(
                409,
                "There were concurrent policy changes. Please retry the whole "
                "read-modify-write with exponential backoff.",
            )
        if any(not b.get("members") for b in policy.get("bindings", [])):
            raise Fault(400, "Policy bindings must each name at least one member.")
        self.policies[project] = {
            "version": policy.get("version", 1),
            "etag": "",
            "bindings": policy.get("bindings", []),
        }
        self._new_etag(project)
        return self.policies[project]

    def _new_etag(self, project: str) -> None:
        self.policies[project]["etag"] = base64.b64encode(
            f"BwX{next(self._ids):08d}".encode()
        ).decode()


def _empty(body: Any) -> None:
    if body not in (None, {}):
        raise Fault(400, "Invalid JSON payload received. Unknown name.")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
