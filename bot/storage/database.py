"""Engines for SQLite (the embedded default) and PostgreSQL, with a read-only side.

SQLite allows one writer at a time. Write transactions start with ``BEGIN
IMMEDIATE``: the write lock is taken at the start, so two writers queue (up to
the busy timeout) instead of one failing halfway through with "database is
locked"; inside one process they queue on the ``WriterGate`` instead, so they
never spin on SQLITE_BUSY at all. Reads go through ``read_only_engine(engine)``: a
deferred ``BEGIN`` under ``PRAGMA query_only``, which in WAL mode reads a
snapshot while a writer holds the lock, so a console page or ``/healthz`` never
waits for the escalation clock's batch. On PostgreSQL the same read-only engine
starts ``READ ONLY`` transactions, so a read that tries to write fails loudly on
both databases.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

BUSY_TIMEOUT_S = 30
READ_ONLY = "blastwall_read_only"  # execution option the SQLite BEGIN listener reads


def default_database_url(directory: Path | None = None) -> str:
    where = (directory or Path.cwd()).resolve() / "blastwall.db"
    return f"sqlite+aiosqlite:///{where}"


def async_url(url: str) -> str:
    """Accept ``sqlite://`` and ``postgresql://`` by adding the async driver."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> AsyncEngine:
    url = async_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for transactions that only read."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{READ_ONLY: True})
    return engine.execution_options(postgresql_readonly=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """A reader's BEGIN is deferred and cannot write; a writer's takes the lock now.
    ``query_only`` is per connection, so it is switched only when the mode changes."""
    reading = bool(connection.get_execution_options().get(READ_ONLY))
    if connection.info.get(READ_ONLY, False) != reading:
        connection.exec_driver_sql(f"PRAGMA query_only={int(reading)}")
        connection.info[READ_ONLY] = reading
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


class NestedWrite(RuntimeError):
    """A task opened a write unit of work inside its own: on SQLite that would wait forever."""


class WriterGate:
    """The one writer in front of SQLite: write units of work of this process take
    turns here (first come, first served) rather than polling SQLite's busy lock.
    Re-entering from the task that holds it is a bug, reported instead of a hang."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None

    @property
    def held(self) -> bool:
        return self._lock.locked()

    async def __aenter__(self) -> WriterGate:
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            raise NestedWrite("a write unit of work was opened inside another one")
        await self._lock.acquire()
        self._holder = task
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._holder = None
        self._lock.release()
