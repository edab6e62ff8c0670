"""One transaction per unit of work: a state change and its evidence commit together.

A unit of work opened ``read_only`` only reads: it never queues behind a writer
(on SQLite it is a deferred snapshot, see ``bot.storage.database``) and it cannot
commit, so a read path can never change anything by accident. Write units of
work on SQLite take their turn at the database's ``WriterGate`` first and give it
up when their transaction ends (commit, rollback, or leaving the block); one that
goes on writing after its commit falls back to SQLite's own busy wait.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from types import TracebackType

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import Clock, ReadOnlyCommit
from bot.storage.activity import SqlActivityQueue
from bot.storage.anchors import SqlAnchors
from bot.storage.database import WriterGate, make_engine, read_only_engine, session_factory
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
        self,
        sessions: async_sessionmaker[AsyncSession],
        redact: Redact,
        clock: Clock,
        *,
        read_only: bool = False,
        gate: WriterGate | None = None,
    ) -> None:
        self._sessions = sessions
        self._redact = redact
        self._clock = clock
        self._session: AsyncSession | None = None
        self.read_only = read_only
        self._gate = None if read_only else gate
        self._turn = AsyncExitStack()

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._gate is not None:
            await self._turn.enter_async_context(self._gate)
        try:
            self._session = self._sessions()
            await self._session.begin()
        except BaseException:
            await self._turn.aclose()
            raise
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
            try:
                await self._session.close()
            finally:
                await self._turn.aclose()

    async def commit(self) -> None:
        """Write the evidence this transaction appended, then commit it with the rest."""
        assert self._session is not None
        if self.read_only:
            raise ReadOnlyCommit("this unit of work was opened read-only")
        await self.incidents.flush_ledger()
        await self._session.commit()
        self.incidents.forget_ledger()
        await self._turn.aclose()  # the write transaction is over: the next writer's turn

    async def rollback(self) -> None:
        assert self._session is not None
        self.incidents.forget_ledger()
        await self._session.rollback()
        await self._turn.aclose()


class Database:
    """The engine, its sessions, and units of work over them.

    Row times (created, updated) come from ``clock``, the one the handlers are
    given, so a test that moves time moves the stored rows' times with it."""

    def __init__(self, url: str, redact: Redact, clock: Clock | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.read_engine = read_only_engine(self.engine)
        self._sessions = session_factory(self.engine)
        self._read_sessions = session_factory(self.read_engine)
        self.gate = WriterGate() if self.engine.dialect.name == "sqlite" else None
        self._redact = redact
        self.clock: Clock = clock or SystemClock()

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        sessions = self._read_sessions if read_only else self._sessions
        return SqlUnitOfWork(
            sessions, self._redact, self.clock, read_only=read_only, gate=self.gate
        )

    async def ping(self) -> None:
        """Reads a table, not only ``SELECT 1``: a read-only SQLite transaction touches
        the file only when it reads, so that is what shows the database answers."""
        async with self.read_engine.connect() as conn:
            await conn.execute(select(IncidentRow.id).limit(1))

    async def counts(self) -> dict[str, dict[str, int]]:
        async with self._read_sessions() as session:
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
