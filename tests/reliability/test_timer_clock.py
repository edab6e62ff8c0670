"""Timers are due by the database's clock: a replica whose clock runs an hour fast
neither fires a timer early nor records a lateness that never happened.

(The skew is only simulated where the database has a clock of its own: PostgreSQL.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.commands import FireDueTimers
from bot.core.escalation import StallKind
from bot.core.events import Escalated
from tests.reliability.conftest import Cluster, declare

pytestmark = pytest.mark.db


async def test_a_replica_an_hour_fast_fires_nothing_early_and_measures_lateness_truly(
    cluster: Cluster, an_hour_fast: timedelta
) -> None:
    # Declared ten minutes ago: "commander not acknowledged" fell due five minutes
    # ago, "no status update" falls due in fifty minutes.
    earlier = cluster.replica(ahead=-timedelta(minutes=10))
    incident_id = await declare(earlier)
    fast = cluster.replica(ahead=an_hour_fast)
    events = await fast.bus.handle(FireDueTimers("fast", 100))
    escalated = [e for e in events if isinstance(e, Escalated)]
    assert [e.kind for e in escalated] == [StallKind.COMMANDER_NOT_ACKNOWLEDGED.value]
    fired = [e for e in await cluster.entries(incident_id) if e["what"] == "escalation timer fired"]
    assert len(fired) == 1
    details = fired[0]["details"]
    assert isinstance(details, dict)
    assert 290 <= float(details["lateness_seconds"]) < 900  # five minutes, not an hour more
    async with cluster.opened[0].uow() as uow:
        pending = [t.kind for t in await uow.timers.pending(incident_id)]
    assert pending == [StallKind.NO_STATUS_UPDATE]
