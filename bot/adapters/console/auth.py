"""Who is using the console: one-time sign-in links, signed sessions, CSRF tokens.

A sign-in link carries a token signed with a key derived from Blastwall's
signing key, valid for 15 minutes and usable once in this process. The
session lives in a signed, HttpOnly, SameSite=Strict cookie; every request
that changes anything must carry the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request

from bot.core.actors import Actor

LINK_TTL_S = 15 * 60
ADMIN = "admin"


@dataclass(frozen=True)
class ConsoleUser:
    name: str
    principal: str  # whom the playbooks grant rights to

    @property
    def actor(self) -> Actor:
        base = Actor.parse(self.principal)
        return Actor(base.platform, base.user_id, display=f"console:{self.name}")


def parse_users(spec: str | None) -> dict[str, str]:
    """``alice=slack:U0EXAMPLE1,bob=console:bob`` to {name: principal}."""
    users: dict[str, str] = {}
    for item in (spec or "").split(","):
        if not item.strip():
            continue
        name, sep, principal = item.strip().partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"BLASTWALL_CONSOLE_USERS: {item!r} is not name=platform:id")
        Actor.parse(principal)
        users[name] = principal
    return users


class Directory:
    def __init__(self, secret: bytes, users: Mapping[str, str]) -> None:
        self._links = URLSafeTimedSerializer(secret, salt="blastwall-console-link")
        self._users = dict(users)
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def user(self, name: str | None) -> ConsoleUser | None:
        if name is None:
            return None
        if name == ADMIN:
            return ConsoleUser(ADMIN, self._users.get(ADMIN, f"console:{ADMIN}"))
        principal = self._users.get(name)
        return ConsoleUser(name, principal) if principal else None

    def names(self) -> list[str]:
        return sorted({ADMIN, *self._users})

    def link_token(self, name: str) -> str:
        return self._links.dumps({"u": name, "n": secrets.token_urlsafe(12)})

    def redeem(self, token: str) -> ConsoleUser | None:
        try:
            claims = self._links.loads(token, max_age=LINK_TTL_S)
        except (BadSignature, SignatureExpired):
            return None
        with self._lock:
            if claims.get("n") in self._used:
                return None
            self._used.add(str(claims.get("n")))
        return self.user(str(claims.get("u")))


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def csrf_ok(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and given and hmac.compare_digest(str(expected), given))
