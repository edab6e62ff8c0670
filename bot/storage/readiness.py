"""Readiness: may a load balancer send this replica traffic?

Ready means the database answers *and* its schema is the one this code was
built for. A replica started before ``blastwall db upgrade`` ran elsewhere (or
after a rollback) would otherwise take requests it would fail on; liveness
(``/healthz``) stays separate so such a replica is taken out of rotation, not
restarted in a loop.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.migrate import head_revision, revision_on


@cache
def _head() -> str | None:
    return head_revision()


async def unready_reason(engine: AsyncEngine) -> str | None:
    """``None`` when ready; otherwise one line an operator can act on."""
    try:
        revision = await revision_on(engine)
    except Exception as exc:
        return f"the database does not answer: {type(exc).__name__}"
    head = _head()
    if revision != head:
        return (
            f"the database is at migration {revision or 'none'}, this code needs {head}: "
            "run blastwall db upgrade"
        )
    return None
