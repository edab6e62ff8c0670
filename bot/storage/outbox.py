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
        row = NoticeRow(incident_id=incident_id, payload=payload, created_at=self._clock.now())
        self._session.add(row)
        await self._session.flush()
        return int(row.id)

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
