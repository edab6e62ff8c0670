"""A stand-in for Microsoft's side of a Teams bot, on 127.0.0.1, over real HTTP.

OpenID metadata and a JWKS (our own RSA keys, endorsed like the Bot Framework's),
the Entra token endpoint, the Bot Connector v3 routes Blastwall calls, and Graph's
channel route. It records every request. Serve it with ``ServedApp`` (its own
thread and event loop): botframework-connector fetches keys with blocking
``requests`` calls.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ISSUER = "https://api.botframework.standin.test"
APP_ID = "6f1b0c3e-2a57-4d8e-9b61-0c1d2e3f4a5b"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TEAM_ID = "19:team-blastwall@thread.tacv2"
TEAM_KID, OTHER_KID, BARE_KID = "teams-key", "webchat-key", "unendorsed-key"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    authorization: str


@dataclass
class Member:
    aad: str
    user_id: str  # 29:…
    name: str


@dataclass
class TeamsStandIn:
    url: str = ""
    members: dict[str, Member] = field(default_factory=dict)  # by 29: id
    received: list[Recorded] = field(default_factory=list)
    faults: list[tuple[str, int, str]] = field(default_factory=list)  # prefix, status, retry-after
    tokens: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._keys = {
            kid: rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for kid in (TEAM_KID, OTHER_KID, BARE_KID)
        }
        self._ids = itertools.count(1000)
        self.app = self._build()

    # --- tokens Teams would send ---
    def mint(
        self,
        *,
        service_url: str | None = None,
        aud: str = APP_ID,
        iss: str = ISSUER,
        expires_in: int = 3600,
        kid: str = TEAM_KID,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": iss,
            "aud": aud,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + expires_in,
        }
        return jwt.encode(claims, self._keys[kid], algorithm="RS256", headers={"kid": kid})

    @property
    def service_url(self) -> str:
        return f"{self.url}/connector/"

    # --- what Blastwall did ---
    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.received if r.method == method and r.path.startswith(prefix)]

    def channels(self) -> list[Recorded]:
        return self.calls("POST", f"/graph/teams/{TEAM_ID}/channels")

    def fail(self, prefix: str, status: int, times: int = 1, retry_after: str = "") -> None:
        self.faults += [(prefix, status, retry_after)] * times

    def add_member(self, aad: str, name: str) -> Member:
        member = Member(aad, f"29:1{aad.replace('-', '')}", name)
        self.members[member.user_id] = member
        return member

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Any:
            body = await request.body()
            parsed: Any = None
            if body:
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = body.decode(errors="replace")
            path = request.url.path
            self.received.append(
                Recorded(request.method, path, parsed, request.headers.get("authorization", ""))
            )
            for i, (prefix, status, retry_after) in enumerate(self.faults):
                if path.startswith(prefix):
                    del self.faults[i]
                    headers = {"Retry-After": retry_after} if retry_after else None
                    error = {"error": {"code": "Throttled"}}
                    return JSONResponse(error, status_code=status, headers=headers)
            guarded = path.startswith(("/connector/", "/graph/"))
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if guarded and bearer not in self.tokens:
                return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
            return await call_next(request)

        self._identity_routes(app)
        self._connector_routes(app)
        self._graph_routes(app)
        return app

    def _identity_routes(self, app: FastAPI) -> None:
        @app.get("/openid/.well-known/openidconfiguration")
        async def metadata() -> dict[str, Any]:
            return {
                "issuer": ISSUER,
                "jwks_uri": f"{self.url}/openid/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/openid/keys")
        async def keys() -> dict[str, Any]:
            endorsed = {TEAM_KID: ["msteams", "skype"], OTHER_KID: ["webchat"], BARE_KID: []}
            return {"keys": [self._jwk(kid, endorsed[kid]) for kid in self._keys]}

        @app.post("/login/{tenant}/oauth2/v2.0/token")
        async def token(tenant: str, request: Request) -> JSONResponse:
            form = await request.form()
            if tenant != TENANT_ID or form.get("client_id") != APP_ID:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            issued = f"standin-{form.get('scope')}-{uuid.uuid4().hex}"
            self.tokens.add(issued)
            return JSONResponse(
                {"token_type": "Bearer", "expires_in": 3599, "access_token": issued}
            )

    def _jwk(self, kid: str, endorsements: list[str]) -> dict[str, Any]:
        numbers = self._keys[kid].public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": kid,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
            "endorsements": endorsements,
        }

    def _connector_routes(self, app: FastAPI) -> None:
        @app.post("/connector/v3/conversations")
        async def create(request: Request) -> dict[str, Any]:
            body = await request.json()
            if body.get("isGroup"):
                channel = body["channelData"]["channel"]["id"]
                activity_id = str(next(self._ids))
                return {"id": f"{channel};messageid={activity_id}", "activityId": activity_id}
            member = body["members"][0]["id"]
            return {"id": f"a:personal-{member}"}

        @app.post("/connector/v3/conversations/{conversation}/activities")
        async def send(conversation: str) -> dict[str, Any]:
            return {"id": str(next(self._ids))}

        @app.put("/connector/v3/conversations/{conversation}/activities/{activity_id}")
        async def update(conversation: str, activity_id: str) -> dict[str, Any]:
            return {"id": activity_id}

        @app.get("/connector/v3/conversations/{conversation}/members/{member_id}")
        async def member(conversation: str, member_id: str) -> JSONResponse:
            found = self.members.get(member_id)
            if found is None:
                return JSONResponse({"error": {"code": "MemberNotFound"}}, status_code=404)
            return JSONResponse({"id": found.user_id, "name": found.name, "aadObjectId": found.aad})

    def _graph_routes(self, app: FastAPI) -> None:
        @app.post("/graph/teams/{team}/channels")
        async def channel(team: str, request: Request) -> JSONResponse:
            body = await request.json()
            if len(body.get("displayName", "")) > 50:
                return JSONResponse({"error": {"code": "BadRequest"}}, status_code=400)
            created = {
                "id": f"19:{uuid.uuid4().hex}@thread.tacv2",
                "displayName": body["displayName"],
                "membershipType": body.get("membershipType", "standard"),
            }
            return JSONResponse(created, status_code=201)
