"""Escalation timers as data. The database holds them; the scheduler only wakes the claimer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.escalation import StallKind


class TimerState(StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Timer:
    """One step of one stall. ``subject`` names what stalled (a request key, "commander").

    A newer ``generation`` for the same (incident, kind, subject) fences out the
    older: resolving or re-arming a stall cancels what was pending.
    """

    incident_id: str
    kind: StallKind
    subject: str
    step: int
    due_at: datetime
    started_at: datetime
    generation: int = 0
    id: int | None = None
    state: TimerState = TimerState.PENDING
    fired_at: datetime | None = None  # set by the claim, on the database's clock
