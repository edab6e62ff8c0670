"""The SQL side of the TranscriptStore port: which room messages the ledger holds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.evidence import What
from bot.core.transcript import MessageKey, TranscriptPosition
from bot.storage.models import TranscriptMessageRow

_Row = TranscriptMessageRow


class SqlTranscript:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def find(self, incident_id: str, key: MessageKey) -> int | None:
        seq = await self._session.scalar(
            select(_Row.seq).where(
                _Row.incident_id == incident_id,
                _Row.message_id == key.message_id,
                _Row.kind == key.kind.value,
                _Row.change_id == key.change_id,
            )
        )
        return int(seq) if seq is not None else None

    async def add(self, incident_id: str, key: MessageKey, seq: int, thread_id: str) -> bool:
        """The unique constraint decides: a racing writer's row is refused, not doubled."""
        row = _Row(
            incident_id=incident_id,
            message_id=key.message_id,
            kind=key.kind.value,
            change_id=key.change_id,
            thread_id=thread_id,
            seq=seq,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            return False
        return True

    async def position(self, incident_id: str) -> TranscriptPosition:
        """Slack ids (``ts``) are fixed-width, so the greatest string is the newest."""
        mine = _Row.incident_id == incident_id
        last = await self._session.scalar(
            select(func.max(_Row.message_id)).where(mine, _Row.kind == What.CHANNEL_MESSAGE.value)
        )
        threads = await self._session.scalars(
            select(_Row.thread_id).where(mine, _Row.thread_id != "").distinct()
        )
        return TranscriptPosition(last, tuple(sorted(threads)))
