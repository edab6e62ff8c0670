"""The real clock, and how far it is from the database's. Tests use tests/fakes/clock.py.

Timers and call leases are measured on the database's clock (PostgreSQL), so a
replica whose clock is off still fires and reconciles correctly; but the times
it writes into evidence are its own, so it says so when it is off by more than
the tolerance: once at start (a warning) and on every ``/healthz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.ports import Clock
from bot.storage.clock import server_time


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class ClockReport:
    """This replica's clock minus the database's, in seconds (positive: ahead)."""

    skew_s: float
    tolerance_s: float

    @property
    def ok(self) -> bool:
        return abs(self.skew_s) <= self.tolerance_s

    def as_json(self) -> dict[str, object]:
        return {
            "clock_skew_seconds": round(self.skew_s, 3),
            "clock_tolerance_seconds": self.tolerance_s,
            "clock_ok": self.ok,
        }


async def check_clock(engine: AsyncEngine, clock: Clock, tolerance_s: float) -> ClockReport:
    """Compare with the database's own reading, taken halfway through the round trip.
    On SQLite the database's clock is this host's, as SQLite itself reads it."""
    before = clock.now()
    async with engine.connect() as conn:
        theirs = await server_time(conn)
    after = clock.now()
    ours = before + (after - before) / 2
    return ClockReport((ours - theirs).total_seconds(), tolerance_s)
