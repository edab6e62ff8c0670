"""The real clock, and how far it is from the database's. Tests use tests/fakes/clock.py.

Timers and call leases are measured on the database's clock (PostgreSQL), so a
replica whose clock is off still fires and reconciles correctly; but the times
it writes into evidence are its own, so it says so when it is off by more than
the tolerance: once at start (a warning) and on every ``/healthz``. The reading
itself is the database's to take (``bot.storage.clock.check_clock``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


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
