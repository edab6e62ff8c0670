"""Escalation timers in the database, where they survive restarts and replicas.

Firing claims a batch (``claim_due``): one ``UPDATE ... RETURNING`` marks up to
``limit`` due timers fired for this claimer. On PostgreSQL it first locks, with
``SKIP LOCKED``, half of the incidents that have due timers (at least one,
oldest first), then claims only those incidents' timers, again ``SKIP LOCKED``.
So a claimer never waits for an incident another replica is firing (or a handler
is changing): those timers stay pending for the next round, concurrent claimers
get disjoint batches, and the half left over is there for a second replica. The
order is the one every handler uses (incident, then its timers), so no deadlock.
On SQLite the unit of work already holds the one write lock, so the same
statement is a single-writer batch.

Whether a timer is due, when it fired and how late, are read on the database's
clock on PostgreSQL (``bot.storage.clock``): a replica whose clock runs fast
neither fires early nor records a lateness that never happened.

``due`` and ``claim`` are the one-timer form of the same (kept for callers that
handle a single timer); ``claim`` waits for the incident's lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.escalation import StallKind
from bot.core.timers import Timer, TimerState
from bot.storage.clock import database_now, is_postgres
from bot.storage.codec import timer_from
from bot.storage.models import IncidentRow, TimerRow

PENDING = TimerState.PENDING.value
FIRED = TimerState.FIRED.value


class SqlTimerStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def arm(
        self,
        incident_id: str,
        kind: StallKind,
        subject: str,
        started_at: datetime,
        due_at: datetime,
    ) -> Timer:
        """Start (or restart) the ladder for a stall: a new generation fences out the old."""
        await self.cancel(incident_id, kind, subject)
        newest = await self._session.scalar(
            select(func.max(TimerRow.generation)).where(
                TimerRow.incident_id == incident_id,
                TimerRow.kind == kind.value,
                TimerRow.subject == subject,
            )
        )
        return await self._insert(
            incident_id, kind, subject, (newest or 0) + 1, 0, started_at, due_at
        )

    async def arm_next(self, timer: Timer, step: int, due_at: datetime) -> Timer:
        """The next step of the same ladder. Written at the unit of work's next flush (a
        batch's next steps go in one statement), so the Timer returned has no id yet."""
        return await self._insert(
            timer.incident_id,
            timer.kind,
            timer.subject,
            timer.generation,
            step,
            timer.started_at,
            due_at,
            flush=False,
        )

    async def _insert(
        self,
        incident_id: str,
        kind: StallKind,
        subject: str,
        generation: int,
        step: int,
        started_at: datetime,
        due_at: datetime,
        *,
        flush: bool = True,
    ) -> Timer:
        row = TimerRow(
            incident_id=incident_id,
            kind=kind.value,
            subject=subject,
            generation=generation,
            step=step,
            started_at=started_at,
            due_at=due_at,
            state=PENDING,
        )
        self._session.add(row)
        if flush:
            await self._session.flush()
        return timer_from(row)

    async def cancel(self, incident_id: str, kind: StallKind, subject: str | None = None) -> int:
        stmt = update(TimerRow).where(
            TimerRow.incident_id == incident_id,
            TimerRow.kind == kind.value,
            TimerRow.state == PENDING,
        )
        if subject is not None:
            stmt = stmt.where(TimerRow.subject == subject)
        result = await self._session.execute(stmt.values(state=TimerState.CANCELLED.value))
        return int(getattr(result, "rowcount", 0) or 0)

    async def postpone(self, incident_id: str, kind: StallKind, until: datetime) -> int:
        """Snooze: nothing of that kind fires before ``until``."""
        rows = (
            (
                await self._session.execute(
                    select(TimerRow).where(
                        TimerRow.incident_id == incident_id,
                        TimerRow.kind == kind.value,
                        TimerRow.state == PENDING,
                    )
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            row.due_at = max(row.due_at, until)
        await self._session.flush()
        return len(rows)

    async def due(self, now: datetime, limit: int) -> Sequence[tuple[int, str]]:
        """(timer id, incident id) of pending timers due by ``now`` (on PostgreSQL: by
        the server's clock), oldest first; unlocked."""
        by = func.clock_timestamp() if is_postgres(self._session) else now
        rows = await self._session.execute(
            select(TimerRow.id, TimerRow.incident_id)
            .where(TimerRow.state == PENDING, TimerRow.due_at <= by)
            .order_by(TimerRow.due_at, TimerRow.id)
            .limit(limit)
        )
        return [(int(i), str(incident)) for i, incident in rows.all()]

    async def claim(
        self, timer_id: int, incident_id: str, now: datetime, claimer: str
    ) -> Timer | None:
        """Lock the incident, then the timer; fire it unless someone else already did, or
        (PostgreSQL) it is not yet due by the server's clock. The Timer returned carries
        ``fired_at``, the time its lateness is measured against."""
        await self._session.execute(
            select(IncidentRow.id).where(IncidentRow.id == incident_id).with_for_update()
        )
        row = (
            await self._session.execute(
                select(TimerRow)
                .where(TimerRow.id == timer_id, TimerRow.state == PENDING)
                .with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        now = await database_now(self._session, now)
        if row.due_at > now:
            return None  # a replica whose clock runs ahead of the database's
        row.state = TimerState.FIRED.value
        row.fired_at = now
        row.lateness_seconds = max(0.0, (now - row.due_at) / timedelta(seconds=1))
        row.fired_by = claimer
        await self._session.flush()
        return replace(timer_from(row), fired_at=now)

    async def pending(self, incident_id: str) -> Sequence[Timer]:
        rows = await self._session.execute(
            select(TimerRow)
            .where(TimerRow.incident_id == incident_id, TimerRow.state == PENDING)
            .order_by(TimerRow.due_at)
        )
        return [timer_from(r) for r in rows.scalars()]

    async def claim_due(self, now: datetime, limit: int, claimer: str) -> Sequence[Timer]:
        """Mark up to ``limit`` due timers fired, oldest first, without waiting for any
        lock (module docstring). The claim is part of this unit of work: it commits
        with the effects the caller records, or rolls back with them."""
        now = await database_now(self._session, now)
        due = and_(TimerRow.state == PENDING, TimerRow.due_at <= now)
        picked = select(TimerRow.id).where(due).order_by(TimerRow.due_at, TimerRow.id).limit(limit)
        if is_postgres(self._session):
            held = await self._hold_incidents(due, limit)
            if not held:
                return []
            picked = picked.where(TimerRow.incident_id.in_(held)).with_for_update(skip_locked=True)
        rows = (
            await self._session.execute(
                update(TimerRow)
                .where(TimerRow.id.in_(picked))
                .values(state=FIRED, fired_at=now, fired_by=claimer)
                .returning(TimerRow)
                .execution_options(synchronize_session=False, populate_existing=True)
            )
        ).scalars()
        fired = sorted(rows, key=lambda row: (row.due_at, row.id))
        for row in fired:  # written with the unit of work's next flush
            row.lateness_seconds = max(0.0, (now - row.due_at) / timedelta(seconds=1))
        return [replace(timer_from(row), fired_at=now) for row in fired]

    async def _hold_incidents(self, due: ColumnElement[bool], limit: int) -> list[str]:
        """Lock half of the incidents with due timers (at least one), those with the
        oldest first, skipping any another transaction holds."""
        waiting = (
            select(TimerRow.incident_id, func.min(TimerRow.due_at).label("first"))
            .where(due)
            .group_by(TimerRow.incident_id)
            .cte("waiting")
        )
        half = select(func.least(limit, (func.count() + 1) // 2)).select_from(waiting)
        rows = await self._session.execute(
            select(IncidentRow.id)
            .join(waiting, waiting.c.incident_id == IncidentRow.id)
            .order_by(waiting.c.first, IncidentRow.id)
            .limit(half.scalar_subquery())
            .with_for_update(of=IncidentRow, skip_locked=True)
        )
        return [str(incident_id) for incident_id in rows.scalars()]
