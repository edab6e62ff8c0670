"""Leases on connector calls in flight, kept on the request's row.

A call's process holds the lease (owner, expiry) and renews it while the call
runs. An intent counts as abandoned only once its lease has lapsed (or, for an
intent that never got as far as taking one, once it is older than the grace
period), each measured on the database's clock (see ``bot.storage.clock``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actions import RequestStatus
from bot.storage.models import ActionRequestRow

RUNNING = RequestStatus.RUNNING.value
Row = ActionRequestRow


def abandoned(now: datetime, older_than_s: float) -> ColumnElement[bool]:
    """Still running, and nobody is working on it any more."""
    return and_(
        Row.status == RUNNING,
        or_(
            Row.lease_expires_at <= now,
            and_(
                Row.lease_expires_at.is_(None),
                Row.updated_at < now - timedelta(seconds=older_than_s),
            ),
        ),
    )


async def take(
    session: AsyncSession, key: str, owner: str, ttl_s: float, now: datetime
) -> datetime | None:
    """Hold the lease of a running request unless a live holder has it; the expiry, or None."""
    expires = now + timedelta(seconds=ttl_s)
    free = or_(Row.lease_owner.is_(None), Row.lease_expires_at <= now, Row.lease_owner == owner)
    stmt = (
        update(Row)
        .where(Row.idempotency_key == key, Row.status == RUNNING, free)
        .values(lease_owner=owner, lease_expires_at=expires)
    )
    return expires if _changed(await session.execute(stmt)) else None


async def renew(
    session: AsyncSession, key: str, owner: str, ttl_s: float, now: datetime
) -> datetime | None:
    """Push the expiry on; None once the request is settled or the lease went to another."""
    expires = now + timedelta(seconds=ttl_s)
    stmt = (
        update(Row)
        .where(Row.idempotency_key == key, Row.status == RUNNING, Row.lease_owner == owner)
        .values(lease_expires_at=expires)
    )
    return expires if _changed(await session.execute(stmt)) else None


def _changed(result: object) -> bool:
    return int(getattr(result, "rowcount", 0) or 0) == 1
