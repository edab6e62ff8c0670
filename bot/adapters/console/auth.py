"""Who is using the console: one-time sign-in links, server-side sessions, CSRF tokens.

A sign-in link carries 32 random bytes; the database keeps only their SHA-256,
an expiry (15 minutes) and whether it was used, so a link signs in once, also
after a restart or on another replica. Signing in opens a server-side session:
the (signed, HttpOnly, SameSite=Strict) cookie carries a random session id,
checked against the database on every request, so logging out ends the
session for every copy of the cookie. The CSRF token is an HMAC of the session
id: it dies with the session and needs no storage.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from starlette.requests import Request

from bot.core.actors import Actor

LINK_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
ADMIN = "admin"
SESSION_KEY = "sid"


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


class SignIns(Protocol):
    """Where links and sessions are kept (by digest): the database, for every replica."""

    async def add_link(self, token_hash: str, user: str, now: datetime, ttl: timedelta) -> None: ...

    async def use_link(self, token_hash: str, now: datetime) -> str | None: ...

    async def add_session(
        self, session_hash: str, user: str, now: datetime, ttl: timedelta
    ) -> None: ...

    async def session_user(self, session_hash: str, now: datetime) -> str | None: ...

    async def end_session(self, session_hash: str, now: datetime) -> None: ...


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Directory:
    def __init__(
        self,
        secret: bytes,
        users: Mapping[str, str],
        store: SignIns,
        now: Callable[[], datetime],
    ) -> None:
        self._csrf_key = hashlib.sha256(b"blastwall-console-csrf" + secret).digest()
        self._users = dict(users)
        self._store = store
        self._now = now

    def user(self, name: str | None) -> ConsoleUser | None:
        if name is None:
            return None
        if name == ADMIN:
            return ConsoleUser(ADMIN, self._users.get(ADMIN, f"console:{ADMIN}"))
        principal = self._users.get(name)
        return ConsoleUser(name, principal) if principal else None

    def names(self) -> list[str]:
        return sorted({ADMIN, *self._users})

    async def mint(self, name: str) -> str:
        """A fresh one-time link token for ``name`` (who must be a console user)."""
        if self.user(name) is None:
            raise LookupError(f"no console user {name!r}")
        token = secrets.token_urlsafe(32)
        await self._store.add_link(_digest(token), name, self._now(), LINK_TTL)
        return token

    async def redeem(self, token: str) -> ConsoleUser | None:
        if not token or len(token) > 128:
            return None
        return self.user(await self._store.use_link(_digest(token), self._now()))

    async def open_session(self, user: ConsoleUser) -> str:
        session_id = secrets.token_urlsafe(32)
        await self._store.add_session(_digest(session_id), user.name, self._now(), SESSION_TTL)
        return session_id

    async def session_user(self, session_id: object) -> ConsoleUser | None:
        if not isinstance(session_id, str) or not session_id:
            return None
        return self.user(await self._store.session_user(_digest(session_id), self._now()))

    async def end_session(self, session_id: object) -> None:
        if isinstance(session_id, str) and session_id:
            await self._store.end_session(_digest(session_id), self._now())

    def csrf_for(self, session_id: str) -> str:
        return hmac.new(self._csrf_key, session_id.encode("utf-8"), "sha256").hexdigest()


def csrf_token(request: Request, directory: Directory) -> str:
    session_id = request.session.get(SESSION_KEY)
    return directory.csrf_for(session_id) if isinstance(session_id, str) else ""


def csrf_ok(request: Request, directory: Directory, given: str | None) -> bool:
    expected = csrf_token(request, directory)
    return bool(expected and given and hmac.compare_digest(expected, given))
