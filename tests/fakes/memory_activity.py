"""In-memory ActivityQueue: the fake of the activity collection queue, with the SQL
queue's rules (one per incident, identity and phase; claims that lapse; finishing
only by the holder)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.activity import Collection

Key = tuple[str, str, str]


@dataclass
class Queued:
    collection: Collection
    created_at: datetime
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    done_at: datetime | None = None


def key_of(collection: Collection) -> Key:
    return (collection.incident_id, collection.identity_key, collection.phase.value)


class MemoryActivityQueue:
    def __init__(self, queued: dict[Key, Queued]) -> None:
        self.queued = queued

    async def add(self, collection: Collection, now: datetime) -> bool:
        if key_of(collection) in self.queued:
            return False
        self.queued[key_of(collection)] = Queued(collection, now)
        return True

    async def last_until(self, incident_id: str, identity_key: str) -> datetime | None:
        ends = [
            q.collection.until
            for (incident, identity, _), q in self.queued.items()
            if (incident, identity) == (incident_id, identity_key)
        ]
        return max(ends, default=None)

    async def claim(
        self, owner: str, now: datetime, ttl_s: float, limit: int
    ) -> Sequence[Collection]:
        free = [
            q
            for q in sorted(self.queued.values(), key=lambda q: q.created_at)
            if q.done_at is None and (q.claim_expires_at is None or q.claim_expires_at <= now)
        ][:limit]
        for q in free:
            q.claimed_by, q.claim_expires_at = owner, now + timedelta(seconds=ttl_s)
        return [q.collection for q in free]

    async def finish(self, collection: Collection, owner: str, now: datetime) -> bool:
        q = self.queued.get(key_of(collection))
        if q is None or q.claimed_by != owner or q.done_at is not None:
            return False
        q.done_at = now
        return True
