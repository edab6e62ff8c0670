"""A request-level GitHub REST stand-in: the routes, methods, bodies, status codes and
error answers of GitHub's published REST description for what Blastwall calls.

Tests arrange its state, read what it received, inject 429/500 answers, and can
hold one request mid-flight (before or after it takes effect) to crash Blastwall
around it.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

DOCS = "https://docs.github.com/rest"


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"message": message, "documentation_url": DOCS, **extra}, status_code=status
    )


@dataclass
class Hold:
    method: str
    path: str
    apply_first: bool
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class GitHubStandIn:
    def __init__(self, app_id: str = "424242") -> None:
        self.app_id = app_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.tokens: dict[str, bool] = {}
        self.installations: dict[str, dict[str, Any]] = {}
        self.org_pats: dict[str, list[dict[str, Any]]] = {}
        self.secret_alerts: dict[tuple[str, int], dict[str, Any]] = {}
        self.audit_log: dict[str, list[dict[str, Any]]] = {}  # org -> events
        self.audit_queries: list[dict[str, str]] = []  # the query of each audit log read
        self._issued_for: dict[str, str] = {}  # installation token -> installation id
        self.alert_reads: list[str] = []  # the installation each alert read was made as
        self.calls: list[tuple[str, str]] = []
        self._issued: set[str] = set()
        self._faults: list[tuple[int, int]] = []  # (status, retry_after)
        self._hold: Hold | None = None
        self._ids = itertools.count(1)
        self.app = self._build()

    # --- arranging --------------------------------------------------------------

    def private_key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def leak_token(self) -> str:
        token = f"ghp_{next(self._ids):036d}"
        self.tokens[token] = True
        return token

    def add_installation(self, account: str) -> str:
        installation_id = str(1000 + next(self._ids))
        self.installations[installation_id] = {
            "id": int(installation_id),
            "account": {"login": account},
            "suspended_at": None,
            "suspended_by": None,
        }
        return installation_id

    def add_pat(self, org: str, owner: str) -> str:
        pat_id = str(next(self._ids))
        self.org_pats.setdefault(org, []).append(
            {"id": int(pat_id), "owner": {"login": owner}, "token_expired": False}
        )
        return pat_id

    def add_secret_alert(
        self, repository: str, number: int, secret_type: str, secret: str
    ) -> dict[str, Any]:
        """An alert as ``GET /repos/{owner}/{repo}/secret-scanning/alerts/{n}`` answers it."""
        base = f"https://api.github.com/repos/{repository}/secret-scanning/alerts/{number}"
        alert = {
            "number": number,
            "created_at": "2026-11-30T15:42:05Z",
            "updated_at": "2026-11-30T15:42:05Z",
            "url": base,
            "html_url": f"https://github.com/{repository}/security/secret-scanning/{number}",
            "locations_url": f"{base}/locations",
            "state": "open",
            "resolution": None,
            "resolved_at": None,
            "resolved_by": None,
            "resolution_comment": None,
            "secret_type": secret_type,
            "secret_type_display_name": secret_type,
            "secret": secret,
            "validity": "active",
            "publicly_leaked": False,
            "multi_repo": False,
            "push_protection_bypassed": False,
            "push_protection_bypassed_by": None,
            "push_protection_bypassed_at": None,
        }
        self.secret_alerts[(repository, number)] = alert
        return alert

    def add_audit_event(
        self, org: str, action: str, actor: str, at: datetime, **fields: Any
    ) -> dict[str, Any]:
        """An organisation audit log event as ``GET /orgs/{org}/audit-log`` answers it."""
        stamp = int(at.timestamp() * 1000)
        event = {
            "@timestamp": stamp,
            "created_at": stamp,
            "_document_id": f"doc-{next(self._ids):06d}",
            "action": action,
            "actor": actor,
            "org": org,
            **fields,
        }
        self.audit_log.setdefault(org, []).append(event)
        return event

    def fail_next(self, times: int, status: int, retry_after: int = 0) -> None:
        self._faults += [(status, retry_after)] * times

    def hold(self, method: str, path: str, apply_first: bool) -> Hold:
        self._hold = Hold(method, path, apply_first)
        return self._hold

    # --- the API ------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            self.calls.append((request.method, request.url.path))
            if self._faults:
                status, retry_after = self._faults.pop(0)
                headers = {"Retry-After": str(retry_after)} if status == 429 else {}
                response = _error(
                    status, "API rate limit exceeded" if status == 429 else "Server Error"
                )
                response.headers.update(headers)
                return response
            result: Response = await call_next(request)
            return result

        @app.post("/credentials/revoke")
        async def revoke(request: Request) -> Response:
            body = await request.json()
            credentials = body.get("credentials") if isinstance(body, dict) else None
            if (
                not isinstance(credentials, list)
                or not 1 <= len(credentials) <= 1000
                or not all(isinstance(c, str) for c in credentials)
            ):
                return _error(
                    422,
                    "Validation Failed",
                    errors=[{"resource": "Credentials", "field": "credentials", "code": "invalid"}],
                )
            for credential in credentials:
                if credential in self.tokens:
                    self.tokens[credential] = False
            return JSONResponse({}, status_code=202)

        @app.get("/user")
        async def user(request: Request) -> Response:
            token = _bearer(request)
            if not token or not self.tokens.get(token, False):
                return _error(401, "Bad credentials")
            return JSONResponse({"login": "leaky-bot", "id": 7})

        @app.get("/app/installations/{installation_id}")
        async def installation(installation_id: str, request: Request) -> Response:
            return (
                self._as_app(request)
                or self._installation(installation_id)
                or JSONResponse(self.installations[installation_id])
            )

        @app.put("/app/installations/{installation_id}/suspended")
        async def suspend(installation_id: str, request: Request) -> Response:
            refused = self._as_app(request) or self._installation(installation_id)
            if refused:
                return refused
            return await self._held(
                "PUT",
                request.url.path,
                lambda: self._suspend(installation_id, datetime.now(UTC).isoformat()),
            )

        @app.delete("/app/installations/{installation_id}/suspended")
        async def unsuspend(installation_id: str, request: Request) -> Response:
            refused = self._as_app(request) or self._installation(installation_id)
            if refused:
                return refused
            self._suspend(installation_id, None)
            return Response(status_code=204)

        @app.post("/app/installations/{installation_id}/access_tokens")
        async def access_token(installation_id: str, request: Request) -> Response:
            refused = self._as_app(request) or self._installation(installation_id)
            if refused:
                return refused
            token = f"ghs_{next(self._ids):036d}"
            self._issued.add(token)
            self._issued_for[token] = installation_id
            return JSONResponse(
                {"token": token, "expires_at": "2099-01-01T00:00:00Z"}, status_code=201
            )

        @app.get("/orgs/{org}/personal-access-tokens")
        async def list_pats(org: str, request: Request) -> Response:
            if _bearer(request) not in self._issued:
                return _error(401, "Bad credentials")
            return JSONResponse(self.org_pats.get(org, []))

        @app.post("/orgs/{org}/personal-access-tokens/{pat_id}")
        async def update_pat(org: str, pat_id: str, request: Request) -> Response:
            if _bearer(request) not in self._issued:
                return _error(401, "Bad credentials")
            body = await request.json()
            if not isinstance(body, dict) or body.get("action") != "revoke":
                return _error(
                    422,
                    "Validation Failed",
                    errors=[
                        {"resource": "PersonalAccessToken", "field": "action", "code": "invalid"}
                    ],
                )
            pats = self.org_pats.get(org, [])
            if not any(str(p["id"]) == pat_id for p in pats):
                return _error(404, "Not Found")
            self.org_pats[org] = [p for p in pats if str(p["id"]) != pat_id]
            return Response(status_code=204)

        @app.get("/orgs/{org}/audit-log")
        async def audit_log(org: str, request: Request) -> Response:
            if _bearer(request) not in self._issued:
                return _error(401, "Bad credentials")
            query = dict(request.query_params)
            self.audit_queries.append(query)
            if query.get("include", "web") not in ("web", "git", "all"):
                return _error(422, "Validation Failed")
            return self._audit_page(org, query, str(request.url))

        @app.get("/repos/{owner}/{repo}/secret-scanning/alerts/{number}")
        async def secret_alert(owner: str, repo: str, number: int, request: Request) -> Response:
            token = _bearer(request) or ""
            if token not in self._issued:
                return _error(401, "Bad credentials")
            self.alert_reads.append(self._issued_for[token])
            alert = self.secret_alerts.get((f"{owner}/{repo}", number))
            if alert is None:
                return _error(404, "Not Found")
            hidden = request.query_params.get("hide_secret") == "true"
            return JSONResponse({k: v for k, v in alert.items() if not (hidden and k == "secret")})

        return app

    def _audit_page(self, org: str, query: dict[str, str], url: str) -> Response:
        """Search by the phrase's ``hashed_token:``, ``actor:`` and ``created:>=`` qualifiers;
        pages of ``per_page`` (at most 100) linked by an ``after`` cursor, as GitHub does."""
        found = [e for e in self.audit_log.get(org, []) if _phrase_matches(query, e)]
        found.sort(key=lambda e: e["@timestamp"], reverse=query.get("order", "desc") == "desc")
        size = min(int(query.get("per_page", "30")), 100)
        start = int(query.get("after", "0"))
        page = found[start : start + size]
        response = JSONResponse(page)
        if start + size < len(found):
            nxt = httpx.URL(url).copy_merge_params({"after": str(start + size)})
            response.headers["Link"] = f'<{nxt}>; rel="next"'
        return response

    def _suspend(self, installation_id: str, at: str | None) -> None:
        self.installations[installation_id]["suspended_at"] = at
        self.installations[installation_id]["suspended_by"] = {"login": "blastwall"} if at else None

    async def _held(self, method: str, path: str, effect: Any) -> Response:
        hold = self._hold
        if hold is None or (hold.method, hold.path) != (method, path):
            effect()
            return Response(status_code=204)
        self._hold = None
        if hold.apply_first:
            effect()
        hold.reached.set()
        import asyncio

        await asyncio.to_thread(hold.release.wait, 60)
        return Response(status_code=204)

    def _as_app(self, request: Request) -> Response | None:
        token = _bearer(request)
        if not token:
            return _error(401, "A JSON web token could not be decoded")
        try:
            claims = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"]},
            )
        except jwt.PyJWTError:
            return _error(401, "A JSON web token could not be decoded")
        if str(claims.get("iss")) != self.app_id:
            return _error(401, "Integration not found")
        return None

    def _installation(self, installation_id: str) -> Response | None:
        return None if installation_id in self.installations else _error(404, "Not Found")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None


_QUALIFIER = re.compile(r'(\w+):(>=)?("[^"]*"|\S+)')


def _phrase_matches(query: dict[str, str], event: dict[str, Any]) -> bool:
    for name, at_least, raw in _QUALIFIER.findall(query.get("phrase", "")):
        value = raw.strip('"')
        if name == "created":
            day = datetime.fromtimestamp(event["@timestamp"] / 1000, UTC).strftime("%Y-%m-%d")
            if (day < value) if at_least else (day != value):
                return False
        elif str(event.get(name, "")) != value:
            return False
    return True
