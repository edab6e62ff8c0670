"""The SQL queue of identity activity collections (the ``ActivityQueue`` port).

The primary key (incident, identity key, phase) makes a second queueing of the
same collection a no-op. Claiming takes unfinished rows whose claim is free or
lapsed, with SKIP LOCKED on PostgreSQL so replicas share the work; finishing is
a compare-and-set on the holder, in the transaction that writes the entries, so
a holder that lost its claim writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.activity import Collection, Phase
from bot.core.identities import AffectedIdentity
from bot.storage.models import ActivityCollectionRow

Row = ActivityCollectionRow


class SqlActivityQueue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, collection: Collection, now: datetime) -> bool:
        row = Row(
            incident_id=collection.incident_id,
            identity_key=collection.identity_key,
            phase=collection.phase.value,
            identity=collection.identity.as_record(),
            since=collection.since,
            until=collection.until,
            created_at=now,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            return False
        return True

    async def last_until(self, incident_id: str, identity_key: str) -> datetime | None:
        found = await self._session.execute(
            select(func.max(Row.until)).where(
                Row.incident_id == incident_id, Row.identity_key == identity_key
            )
        )
        return found.scalar_one_or_none()

    async def claim(
        self, owner: str, now: datetime, ttl_s: float, limit: int
    ) -> Sequence[Collection]:
        rows = (
            (
                await self._session.execute(
                    select(Row)
                    .where(
                        Row.done_at.is_(None),
                        or_(Row.claim_expires_at.is_(None), Row.claim_expires_at <= now),
                    )
                    .order_by(Row.created_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            row.claimed_by = owner
            row.claim_expires_at = now + timedelta(seconds=ttl_s)
        await self._session.flush()
        return [_collection(r) for r in rows]

    async def finish(self, collection: Collection, owner: str, now: datetime) -> bool:
        done = await self._session.execute(
            update(Row)
            .where(
                Row.incident_id == collection.incident_id,
                Row.identity_key == collection.identity_key,
                Row.phase == collection.phase.value,
                Row.claimed_by == owner,
                Row.done_at.is_(None),
            )
            .values(done_at=now)
        )
        return int(getattr(done, "rowcount", 0) or 0) == 1


def _collection(row: Row) -> Collection:
    return Collection(
        incident_id=row.incident_id,
        identity=AffectedIdentity.from_record(dict(row.identity)),
        phase=Phase(row.phase),
        since=row.since,
        until=row.until,
    )
