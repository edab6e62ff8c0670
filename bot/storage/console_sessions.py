"""Console sign-ins in the database: one-time links and server-side sessions.

Only SHA-256 digests of link tokens and session ids are stored, so a copy of
the database signs nobody in. Using a link is one conditional UPDATE (unused
and unexpired): of two replicas racing on one link, or a replay after a
restart, exactly one statement changes a row and only that one signs in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.database import session_factory
from bot.storage.models import ConsoleLinkRow, ConsoleSessionRow

KEEP_ENDED = timedelta(days=1)  # ended rows stay a day, for whoever investigates


class SqlConsoleSignIns:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[AsyncSession] = session_factory(engine)

    async def add_link(self, token_hash: str, user: str, now: datetime, ttl: timedelta) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ConsoleLinkRow).where(ConsoleLinkRow.expires_at < now - KEEP_ENDED)
            )
            session.add(
                ConsoleLinkRow(
                    token_hash=token_hash,
                    user_name=user,
                    created_at=now,
                    expires_at=now + ttl,
                    used_at=None,
                )
            )

    async def use_link(self, token_hash: str, now: datetime) -> str | None:
        """The link's user, if this call is the one that used it; None otherwise."""
        async with self._sessions.begin() as session:
            used = await session.execute(
                update(ConsoleLinkRow)
                .where(
                    ConsoleLinkRow.token_hash == token_hash,
                    ConsoleLinkRow.used_at.is_(None),
                    ConsoleLinkRow.expires_at > now,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await session.scalar(
                select(ConsoleLinkRow.user_name).where(ConsoleLinkRow.token_hash == token_hash)
            )

    async def add_session(
        self, session_hash: str, user: str, now: datetime, ttl: timedelta
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at < now - KEEP_ENDED)
            )
            session.add(
                ConsoleSessionRow(
                    session_hash=session_hash,
                    user_name=user,
                    created_at=now,
                    expires_at=now + ttl,
                    ended_at=None,
                )
            )

    async def session_user(self, session_hash: str, now: datetime) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(ConsoleSessionRow.user_name).where(
                    ConsoleSessionRow.session_hash == session_hash,
                    ConsoleSessionRow.ended_at.is_(None),
                    ConsoleSessionRow.expires_at > now,
                )
            )

    async def end_session(self, session_hash: str, now: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ConsoleSessionRow)
                .where(
                    ConsoleSessionRow.session_hash == session_hash,
                    ConsoleSessionRow.ended_at.is_(None),
                )
                .values(ended_at=now)
                .execution_options(synchronize_session=False)
            )
