"""The SQL outbox. Claiming uses SKIP LOCKED on PostgreSQL so replicas share the work.

On PostgreSQL a notice's age is measured on the database's clock, so a replica
whose clock runs fast does not take every fresh notice for a stuck one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.clock import database_now
from bot.storage.models import NoticeRow


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, incident_id: str, payload: dict[str, object]) -> int:
        created = await database_now(self._session, datetime.now(UTC))
        row = NoticeRow(incident_id=incident_id, payload=payload, created_at=created)
        self._session.add(row)
        await self._session.flush()
        return int(row.id)

    async def claim_unsent(
        self, now: datetime, stale_before: datetime, limit: int
    ) -> Sequence[tuple[int, dict[str, object]]]:
        db_now = await database_now(self._session, now)
        stale_before, now = db_now - (now - stale_before), db_now
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
