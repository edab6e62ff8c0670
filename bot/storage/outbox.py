"""The SQL outbox. Claiming uses SKIP LOCKED on PostgreSQL so replicas share the work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ports import Clock
from bot.storage.models import NoticeRow


class SqlOutbox:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def add(self, incident_id: str, payload: dict[str, object]) -> int:
        (notice_id,) = await self.add_all([(incident_id, payload)])
        return notice_id

    async def add_all(self, notices: Sequence[tuple[str, dict[str, object]]]) -> list[int]:
        """One flush for all of them (and whatever else the unit of work has pending):
        a batch of timers writes its notices in one statement, not one per timer."""
        if not notices:
            return []
        now = self._clock.now()
        rows = [NoticeRow(incident_id=i, payload=p, created_at=now) for i, p in notices]
        self._session.add_all(rows)
        await self._session.flush()
        return [int(row.id) for row in rows]

    async def claim_unsent(
        self, now: datetime, stale_before: datetime, limit: int
    ) -> Sequence[tuple[int, dict[str, object]]]:
        rows = (
            (
                await self._session.execute(
                    select(NoticeRow)
                    .where(
                        NoticeRow.sent_at.is_(None),
                        NoticeRow.created_at < stale_before,
                        or_(NoticeRow.claimed_at.is_(None), NoticeRow.claimed_at < stale_before),
                    )
                    .order_by(NoticeRow.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            row.claimed_at = now
        await self._session.flush()
        return [(int(r.id), dict(r.payload)) for r in rows]

    async def mark_sent(self, notice_id: int, at: datetime) -> None:
        await self._session.execute(
            update(NoticeRow).where(NoticeRow.id == notice_id).values(sent_at=at)
        )
