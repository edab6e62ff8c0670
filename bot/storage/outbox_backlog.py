"""The outbox's backlog, read at each ``/metrics`` scrape: how many notices wait to
be sent and how long the oldest has waited. A growing age means a chat platform
is refusing or unreachable while incidents carry on (notices commit with their
cause and are sent after; see the escalation clock's outbox pass)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.models import NoticeRow


async def outbox_backlog(engine: AsyncEngine, now: datetime) -> tuple[int, float]:
    """(unsent notices, age in seconds of the oldest one; 0 when none wait)."""
    query = select(func.count(NoticeRow.id), func.min(NoticeRow.created_at)).where(
        NoticeRow.sent_at.is_(None)
    )
    async with engine.connect() as conn:
        count, oldest = (await conn.execute(query)).one()
    if oldest is None:
        return int(count), 0.0
    if oldest.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    return int(count), max((now - oldest).total_seconds(), 0.0)
