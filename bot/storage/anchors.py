"""Anchors of checkpoints (timestamps, gaps, witness posts): inserted, never changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ports import Clock
from bot.storage.models import AnchorRow, CheckpointRow, EvidenceEntryRow


@dataclass(frozen=True)
class Anchor:
    incident_id: str
    size: int
    kind: str
    token: bytes | None
    detail: str
    created_at: datetime


class SqlAnchors:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def add(
        self, incident_id: str, size: int, kind: str, token: bytes | None = None, detail: str = ""
    ) -> None:
        self._session.add(
            AnchorRow(
                incident_id=incident_id,
                size=size,
                kind=kind,
                token=token,
                detail=detail,
                created_at=self._clock.now(),
            )
        )
        await self._session.flush()

    async def of(self, incident_id: str) -> Sequence[Anchor]:
        rows = await self._session.execute(
            select(AnchorRow).where(AnchorRow.incident_id == incident_id).order_by(AnchorRow.id)
        )
        return [
            Anchor(r.incident_id, r.size, r.kind, r.token, r.detail, r.created_at)
            for r in rows.scalars()
        ]

    async def needing_work(self, kinds: Sequence[str], limit: int) -> Sequence[str]:
        """Incidents with entries no checkpoint covers, or checkpoints lacking an anchor kind."""
        last_signed = (
            select(func.max(CheckpointRow.size))
            .where(CheckpointRow.incident_id == EvidenceEntryRow.incident_id)
            .scalar_subquery()
        )
        grown = (
            select(EvidenceEntryRow.incident_id)
            .group_by(EvidenceEntryRow.incident_id)
            .having(func.max(EvidenceEntryRow.seq) > func.coalesce(last_signed, 0))
        )
        found = set((await self._session.execute(grown.limit(limit))).scalars())
        for kind in kinds:
            anchored = select(AnchorRow.id).where(
                AnchorRow.incident_id == CheckpointRow.incident_id,
                AnchorRow.size == CheckpointRow.size,
                AnchorRow.kind == kind,
            )
            bare = select(CheckpointRow.incident_id).where(~anchored.exists()).distinct()
            found |= set((await self._session.execute(bare.limit(limit))).scalars())
        return sorted(found)[:limit]
