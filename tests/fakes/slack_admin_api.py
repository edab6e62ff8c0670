"""A Slack Web API stand-in for the token and Enterprise Grid admin methods Blastwall's
Slack connector calls: ``auth.test`` and ``auth.revoke`` for any token it issued,
``users.info``, ``admin.users.session.list`` and ``admin.users.session.reset``.

Answers are Slack's: HTTP 200 with ``{"ok": false, "error": ...}`` (``invalid_auth``,
``token_revoked``, ``not_authed``, ``missing_scope`` with needed/provided,
``not_an_enterprise``, ``user_not_found``, ``cannot_reset_bot``), and HTTP 429 with
``Retry-After`` when a test asks. Kept apart from ``slack_api`` (the chat stand-in,
one bot token): here every token is issued, scoped and revocable.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ADMIN_SCOPES = frozenset({"admin.users:read", "admin.users:write", "users:read"})


class SlackError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code, self.extra = code, extra


@dataclass
class Issued:
    user_id: str
    bot_id: str | None
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class Member:
    id: str
    team_id: str
    is_bot: bool = False
    sessions: list[dict[str, Any]] = field(default_factory=list)


class SlackAdminStandIn:
    def __init__(self, team_id: str = "T0ACME", enterprise_id: str | None = "E0ACME") -> None:
        self.team_id = team_id
        self.enterprise_id = enterprise_id  # None: a workspace that is not on Enterprise Grid
        self.tokens: dict[str, Issued] = {}
        self.members: dict[str, Member] = {}
        self.calls: list[tuple[str, str | None]] = []  # (method, token used)
        self._limits: dict[str, tuple[int, int]] = {}
        self._ids = itertools.count(1)
        self.app = self._build()

    # --- arranging ---------------------------------------------------------------

    def issue_bot_token(self) -> str:
        n = next(self._ids)
        token = f"xoxb-{n:012d}-{n:013d}-stand{n:019d}"
        self.tokens[token] = Issued(f"UBOT{n:05d}", f"B{n:08d}", frozenset({"chat:write"}))
        return token

    def issue_admin_token(self, scopes: frozenset[str] = ADMIN_SCOPES) -> str:
        n = next(self._ids)
        token = f"xoxp-{n:012d}-{n:013d}-admin{n:019d}"
        self.tokens[token] = Issued(f"UADMIN{n:03d}", None, scopes)
        return token

    def add_member(self, sessions: int, is_bot: bool = False) -> str:
        user = f"W{next(self._ids):08d}"
        made = [
            {
                "user_id": user,
                "team_id": self.team_id,
                "session_id": 9000 + i,
                "created": {"device_hardware": "Mac", "os": "macOS", "ip": f"203.0.113.{i}"},
            }
            for i in range(sessions)
        ]
        self.members[user] = Member(user, self.team_id, is_bot, made)
        return user

    def rate_limit(self, method: str, times: int, retry_after: int = 0) -> None:
        self._limits[method] = (times, retry_after)

    def live(self, token: str) -> bool:
        return token in self.tokens and not self.tokens[token].revoked

    # --- the Web API ---------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()
        methods = {
            "auth.test": self._auth_test,
            "auth.revoke": self._auth_revoke,
            "users.info": self._users_info,
            "admin.users.session.list": self._session_list,
            "admin.users.session.reset": self._session_reset,
        }

        @app.post("/api/{method}")
        async def call(method: str, request: Request) -> JSONResponse:
            args = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            token = _bearer(request) or args.pop("token", None)
            self.calls.append((method, token))
            times, retry_after = self._limits.get(method, (0, 0))
            if times > 0:
                self._limits[method] = (times - 1, retry_after)
                return JSONResponse(
                    {"ok": False, "error": "ratelimited"},
                    status_code=429,
                    headers={"Retry-After": str(retry_after)},
                )
            if method not in methods:
                return JSONResponse({"ok": False, "error": "unknown_method"})
            try:
                issued = self._authed(token)
                return JSONResponse({"ok": True, **methods[method](issued, token or "", args)})
            except SlackError as err:
                return JSONResponse({"ok": False, "error": err.code, **err.extra})

        return app

    def _authed(self, token: str | None) -> Issued:
        if not token:
            raise SlackError("not_authed")
        issued = self.tokens.get(token)
        if issued is None:
            raise SlackError("invalid_auth")
        if issued.revoked:
            raise SlackError("token_revoked")
        return issued

    def _auth_test(self, issued: Issued, token: str, args: dict[str, str]) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "url": "https://acme.slack.invalid/",
            "team": "Acme",
            "user": "leaky-bot" if issued.bot_id else "org-admin",
            "team_id": self.team_id,
            "user_id": issued.user_id,
            "is_enterprise_install": False,
        }
        if issued.bot_id:
            answer["bot_id"] = issued.bot_id
        if self.enterprise_id:
            answer["enterprise_id"] = self.enterprise_id
        return answer

    def _auth_revoke(self, issued: Issued, token: str, args: dict[str, str]) -> dict[str, Any]:
        if args.get("test", "").lower() in ("1", "true"):
            return {"revoked": False}
        issued.revoked = True
        return {"revoked": True}

    def _scoped(self, issued: Issued, scope: str) -> None:
        if scope not in issued.scopes:
            raise SlackError(
                "missing_scope", needed=scope, provided=",".join(sorted(issued.scopes))
            )

    def _member(self, args: dict[str, str], key: str) -> Member:
        member = self.members.get(args.get(key, ""))
        if member is None:
            raise SlackError("user_not_found")
        return member

    def _users_info(self, issued: Issued, token: str, args: dict[str, str]) -> dict[str, Any]:
        self._scoped(issued, "users:read")
        member = self._member(args, "user")
        return {"user": {"id": member.id, "team_id": member.team_id, "is_bot": member.is_bot}}

    def _grid(self, issued: Issued, scope: str) -> None:
        if self.enterprise_id is None:
            raise SlackError("not_an_enterprise")
        self._scoped(issued, scope)

    def _session_list(self, issued: Issued, token: str, args: dict[str, str]) -> dict[str, Any]:
        self._grid(issued, "admin.users:read")
        if bool(args.get("user_id")) != bool(args.get("team_id")):
            raise SlackError("invalid_arguments")
        member = self._member(args, "user_id")
        sessions = member.sessions if member.team_id == args["team_id"] else []
        return {"active_sessions": sessions, "response_metadata": {"next_cursor": ""}}

    def _session_reset(self, issued: Issued, token: str, args: dict[str, str]) -> dict[str, Any]:
        self._grid(issued, "admin.users:write")
        member = self._member(args, "user_id")
        if member.is_bot:
            raise SlackError("cannot_reset_bot")
        member.sessions.clear()
        return {}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
