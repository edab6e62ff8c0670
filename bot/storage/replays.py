"""The replay ledger: each signed request is taken once, across every replica."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import Clock
from bot.storage.models import RequestReplayRow


class SqlReplayLedger:
    """A unique row per digest. The database, not process memory, decides which
    delivery was first, so two replicas behind a load balancer agree."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def first_time(self, digest: str, expires_at: datetime) -> bool:
        """True for the first delivery of ``digest``; expired rows are pruned first,
        so the table stays as small as the window."""
        now = self._clock.now()
        async with self._sessions() as session:
            async with session.begin():
                await session.execute(
                    delete(RequestReplayRow).where(RequestReplayRow.expires_at < now)
                )
            try:
                async with session.begin():
                    session.add(RequestReplayRow(digest=digest, expires_at=expires_at))
            except IntegrityError:
                return False
        return True

    async def forget(self, digest: str) -> None:
        """Let a delivery that failed on our side be tried again."""
        async with self._sessions() as session, session.begin():
            await session.execute(delete(RequestReplayRow).where(RequestReplayRow.digest == digest))
