"""One transaction per unit of work: a state change and its evidence commit together."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import Clock
from bot.storage.activity import SqlActivityQueue
from bot.storage.anchors import SqlAnchors
from bot.storage.database import make_engine, session_factory
from bot.storage.incidents import Redact, SqlIncidentStore
from bot.storage.models import ActionRequestRow, IncidentRow
from bot.storage.outbox import SqlOutbox
from bot.storage.timers import SqlTimerStore
from bot.storage.transcript import SqlTranscript
from bot.timers.system_clock import SystemClock


class SqlUnitOfWork:
    incidents: SqlIncidentStore
    timers: SqlTimerStore
    outbox: SqlOutbox
    anchors: SqlAnchors
    transcript: SqlTranscript
    activity: SqlActivityQueue

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], redact: Redact, clock: Clock
    ) -> None:
        self._sessions = sessions
        self._redact = redact
        self._clock = clock
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        self._session = self._sessions()
        await self._session.begin()
        self.incidents = SqlIncidentStore(self._session, self._redact, self._clock)
        self.timers = SqlTimerStore(self._session)
        self.outbox = SqlOutbox(self._session, self._clock)
        self.anchors = SqlAnchors(self._session, self._clock)
        self.transcript = SqlTranscript(self._session)
        self.activity = SqlActivityQueue(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        self.incidents.forget_ledger()
        try:
            if self._session.in_transaction():
                await self._session.rollback()
        finally:
            await self._session.close()

    async def commit(self) -> None:
        """Write the evidence this transaction appended, then commit it with the rest."""
        assert self._session is not None
        await self.incidents.flush_ledger()
        await self._session.commit()
        self.incidents.forget_ledger()

    async def rollback(self) -> None:
        assert self._session is not None
        self.incidents.forget_ledger()
        await self._session.rollback()


class Database:
    """The engine, its sessions, and units of work over them.

    Row times (created, updated) come from ``clock``, the one the handlers are
    given, so a test that moves time moves the stored rows' times with it."""

    def __init__(self, url: str, redact: Redact, clock: Clock | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = session_factory(self.engine)
        self._redact = redact
        self.clock: Clock = clock or SystemClock()

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._redact, self.clock)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def counts(self) -> dict[str, dict[str, int]]:
        async with self._sessions() as session:
            return {
                "incidents": await _by_status(session, IncidentRow.status),
                "action_requests": await _by_status(session, ActionRequestRow.status),
            }

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _by_status(
    session: AsyncSession, column: Callable[..., object] | object
) -> dict[str, int]:
    rows = await session.execute(select(column, func.count()).group_by(column))  # type: ignore[call-overload]
    return {str(status): int(n) for status, n in rows.all()}
