"""The database's clock, for the comparisons that several replicas must agree on.

On PostgreSQL every replica asks the server (``clock_timestamp()``), so a replica
whose own clock runs fast neither fires a timer early nor takes a live call's
lease for lapsed. SQLite lives on one host: there the caller's (injected) clock
is the database's clock, which keeps tests able to move time by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.core.ports import Clock
from bot.timers.system_clock import ClockReport


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def database_now(session: AsyncSession, fallback: datetime) -> datetime:
    """The server's time on PostgreSQL; ``fallback`` (the caller's clock) on SQLite."""
    if not is_postgres(session):
        return fallback
    value = await session.scalar(select(func.clock_timestamp()))
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


async def server_time(conn: AsyncConnection) -> datetime:
    """What the database itself reads from its host's clock (SQLite: this host's)."""
    if conn.dialect.name == "postgresql":
        value = (await conn.execute(select(func.clock_timestamp()))).scalar_one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    raw = (await conn.execute(text("SELECT strftime('%Y-%m-%dT%H:%M:%f', 'now')"))).scalar_one()
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


async def check_clock(engine: AsyncEngine, clock: Clock, tolerance_s: float) -> ClockReport:
    """Compare with the database's own reading, taken halfway through the round trip.
    On SQLite the database's clock is this host's, as SQLite itself reads it."""
    before = clock.now()
    async with engine.connect() as conn:
        theirs = await server_time(conn)
    after = clock.now()
    ours = before + (after - before) / 2
    return ClockReport((ours - theirs).total_seconds(), tolerance_s)
