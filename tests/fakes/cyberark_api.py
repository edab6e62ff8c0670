"""A request-level CyberArk stand-in: the PVWA REST routes Blastwall calls (Logon,
Logoff, LiveSessions and their Terminate/Suspend/Resume), and an Identity tenant's
``/oauth2/platformtoken`` for Privilege Cloud's client credentials.

Routes, bodies and answer shapes follow CyberArk's published REST reference (a
Logon answers the token as a JSON string; LiveSessions answers
``{"LiveSessions": [...], "Total": n}``; errors are ``{"ErrorCode", "ErrorMessage"}``).
The ``PASWS…E``/``ITATS…E`` numbers below are of the published form; not every
number is published, so tests match on status and shape, not on the number.
Paths are case-insensitive, as on IIS. Tests arrange sessions, expire tokens,
inject 429/500 answers and read the calls received.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

API = "/passwordvault/api"
LOGON_FAILED = "ITATS004E"
EXPIRED = "PASWS006E"
NOT_FOUND = "PASWS164E"
NOT_ALLOWED = "PASWS209E"
BAD_REQUEST = "PASWS167E"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"ErrorCode": code, "ErrorMessage": message}, status_code=status)


@dataclass
class Session:
    """One live PSM session; ``may_suspend``/``may_terminate``: Blastwall's user is
    listed among the PVWA's suspending/terminating users for it."""

    item: dict[str, Any]
    may_terminate: bool = True
    may_suspend: bool = True
    suspended: bool = False

    def answer(self) -> dict[str, Any]:
        return {
            **self.item,
            "CanTerminate": self.may_terminate,
            "CanSuspend": self.may_suspend and not self.suspended,
        }


class CyberArkStandIn:
    def __init__(
        self,
        username: str = "blastwall-svc",
        password: str = "vault-user-password-for-tests",
        client_id: str = "blastwall@tenant.example",
        client_secret: str = "identity-client-secret-for-tests",
    ) -> None:
        self.users = {username: password}
        self.clients = {client_id: client_secret}
        self.tokens: set[str] = set()
        self.sessions: dict[str, Session] = {}
        self.ended: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self.logons = 0
        self._faults: list[tuple[int, str]] = []
        self._ids = itertools.count(21)
        self.app = self._build()

    # --- arranging --------------------------------------------------------------

    def open_session(
        self,
        user: str,
        account: str,
        address: str,
        protocol: str = "SSH",
        *,
        may_terminate: bool = True,
        may_suspend: bool = True,
        start: int = 1_790_000_000,
    ) -> str:
        number = next(self._ids)
        session_id = f"{number}_{number * 7 % 100}"
        self.sessions[session_id] = Session(
            _item(session_id, user, account, address, protocol, start),
            may_terminate=may_terminate,
            may_suspend=may_suspend,
        )
        return session_id

    def live(self, account: str) -> list[str]:
        return [i for i, s in self.sessions.items() if s.item["AccountUsername"] == account]

    def suspended(self) -> list[str]:
        return [i for i, s in self.sessions.items() if s.suspended]

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def fail_next(self, times: int, status: int, only: str = "") -> None:
        """The next ``times`` requests (whose path contains ``only``) answer ``status``."""
        self._faults += [(status, only)] * times

    # --- the API ------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            self.calls.append((request.method, request.url.path))
            request.scope["path"] = request.url.path.lower().rstrip("/")
            if self._faults and self._faults[0][1] in request.url.path:
                status = self._faults.pop(0)[0]
                if status == 429:
                    return JSONResponse(
                        {"ErrorCode": "PASWS429E", "ErrorMessage": "Too many requests"},
                        status_code=429,
                        headers={"Retry-After": "0"},
                    )
                return _error(status, "PASWS500E", "Vault General Error")
            result: Response = await call_next(request)
            return result

        @app.post(f"{API}/auth/cyberark/logon")
        async def logon(request: Request) -> Response:
            body = await request.json()
            if not isinstance(body, dict) or not body.get("username"):
                return _error(400, BAD_REQUEST, "Missing mandatory parameter [username].")
            if self.users.get(str(body["username"])) != body.get("password"):
                return _error(
                    403, LOGON_FAILED, f"Authentication failure for User [{body['username']}]."
                )
            return JSONResponse(self._issue())

        @app.post(f"{API}/auth/logoff")
        async def logoff(request: Request) -> Response:
            self.tokens.discard(request.headers.get("authorization", ""))
            return Response(status_code=200)

        @app.post("/oauth2/platformtoken")
        async def platform_token(request: Request) -> Response:
            form = await request.form()
            if form.get("grant_type") != "client_credentials":
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            if self.clients.get(str(form.get("client_id"))) != form.get("client_secret"):
                return JSONResponse(
                    {"error": "invalid_client", "error_description": "Authentication failed"},
                    status_code=401,
                )
            token = self._issue()
            return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 900})

        @app.get(f"{API}/livesessions")
        async def list_sessions(request: Request) -> Response:
            return self._authorized(request) or self._listing(
                {k.lower(): v for k, v in request.query_params.items()}
            )

        @app.get(f"{API}/livesessions/{{session_id}}")
        async def one_session(session_id: str, request: Request) -> Response:
            refused = self._authorized(request) or self._known(session_id)
            if refused:
                return refused
            return JSONResponse({"LiveSessions": [self._session(session_id).answer()]})

        @app.post(f"{API}/livesessions/{{session_id}}/{{action}}")
        async def act(session_id: str, action: str, request: Request) -> Response:
            refused = self._authorized(request) or self._known(session_id)
            if refused:
                return refused
            handlers = {
                "terminate": self._terminate,
                "suspend": self._suspend,
                "resume": self._resume,
            }
            if action not in handlers:
                return _error(404, NOT_FOUND, f"Action [{action}] is not supported.")
            return handlers[action](session_id)

        return app

    def _issue(self) -> str:
        token = secrets.token_hex(90)
        self.tokens.add(token)
        self.logons += 1
        return token

    def _authorized(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if header.removeprefix("Bearer ").strip() in self.tokens:
            return None
        return _error(401, EXPIRED, "Your session has expired. Please log on again.")

    def _listing(self, query: dict[str, str]) -> Response:
        try:
            limit = int(query.get("limit", "25"))
            offset = int(query.get("offset", "0"))
            since, until = int(query.get("fromtime", "0")), int(query.get("totime", "0"))
        except ValueError:
            return _error(400, BAD_REQUEST, "Invalid query parameter.")
        if limit < 1 or offset < 0:
            return _error(400, BAD_REQUEST, "Limit must be greater than 0.")
        text = query.get("search", "").casefold()
        found = [
            s.answer()
            for s in self.sessions.values()
            if (not text or any(text in str(v).casefold() for v in s.item.values()))
            and s.item["Start"] >= since
            and (not until or s.item["Start"] <= until)
        ]
        return JSONResponse({"LiveSessions": found[offset : offset + limit], "Total": len(found)})

    def _known(self, session_id: str) -> Response | None:
        if self._find(session_id) is None:
            return _error(404, NOT_FOUND, f"Live session [{session_id}] was not found.")
        return None

    def _find(self, session_id: str) -> str | None:
        return next((i for i in self.sessions if i.lower() == session_id.lower()), None)

    def _session(self, session_id: str) -> Session:
        found = self._find(session_id)
        assert found is not None
        return self.sessions[found]

    def _terminate(self, session_id: str) -> Response:
        if not self._session(session_id).may_terminate:
            return _error(
                403, NOT_ALLOWED, f"You are not authorized to terminate session [{session_id}]."
            )
        found = self._find(session_id)
        assert found is not None
        del self.sessions[found]
        self.ended.append(found)
        return Response(status_code=200)

    def _suspend(self, session_id: str) -> Response:
        session = self._session(session_id)
        if not session.may_suspend:
            return _error(
                403, NOT_ALLOWED, f"You are not authorized to suspend session [{session_id}]."
            )
        if session.suspended:
            return _error(400, BAD_REQUEST, f"Session [{session_id}] is already suspended.")
        session.suspended = True
        return Response(status_code=200)

    def _resume(self, session_id: str) -> Response:
        session = self._session(session_id)
        if not session.suspended:
            return _error(400, BAD_REQUEST, f"Session [{session_id}] is not suspended.")
        session.suspended = False
        return Response(status_code=200)


def _item(
    session_id: str, user: str, account: str, address: str, protocol: str, start: int
) -> dict[str, Any]:
    """A live session as ``GET /PasswordVault/API/LiveSessions`` lists it."""
    return {
        "CanMonitor": True,
        "SessionID": session_id,
        "SessionGuid": secrets.token_hex(16),
        "SafeName": "PSMRecordings",
        "FolderName": "Root",
        "IsLive": True,
        "Start": start,
        "End": 0,
        "Duration": 0,
        "User": user,
        "RemoteMachine": address,
        "AccountUsername": account,
        "AccountPlatformID": "UnixSSH",
        "AccountAddress": address,
        "ConnectionComponentID": "PSMP-SSH" if protocol == "SSH" else "PSM-RDP",
        "FromIP": "10.0.0.7",
        "Protocol": protocol,
        "Client": "PSMP" if protocol == "SSH" else "PSM",
        "RiskScore": -1,
        "RawProperties": {"Address": address, "ProviderID": "PSMServer"},
    }
