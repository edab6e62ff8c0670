"""Entry times are settled when the entry is appended, under the incident's lock:
within an incident they never go back, whatever the writers' clocks say."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.core.actions import RequestStatus
from bot.core.commands import RequestAction
from bot.core.events import ActionSettled
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.fakes.clock import FakeClock
from tests.reliability.conftest import IAM, KEYS, Cluster, declare, whens

pytestmark = pytest.mark.db


class BackwardsClock(FakeClock):
    """Every reading is a second earlier than the one before."""

    def now(self) -> datetime:
        return self.advance(seconds=-1)


async def test_entry_times_never_go_back_even_when_the_clock_does(cluster: Cluster) -> None:
    cluster.aws.release.set()
    replica = cluster.replica(clock=BackwardsClock())
    incident_id = await declare(replica)
    (done,) = await replica.bus.handle(
        RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEYS[0].key, IAM)
    )
    assert isinstance(done, ActionSettled) and done.status is RequestStatus.SUCCEEDED
    entries = await cluster.entries(incident_id)
    assert len(entries) >= 6
    assert whens(entries) == sorted(whens(entries))
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))


async def test_two_writers_with_different_clocks_keep_one_incidents_times_in_order(
    cluster: Cluster,
) -> None:
    cluster.aws.release.set()
    ahead = cluster.replica()
    behind = cluster.replica(ahead=-timedelta(minutes=10))
    incident_id = await declare(ahead)
    replicas = [ahead, behind] * 3
    results = await asyncio.gather(
        *(
            replica.bus.handle(RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, key.key, IAM))
            for replica, key in zip(replicas, KEYS, strict=True)
        )
    )
    statuses = [event.status for (event,) in results if isinstance(event, ActionSettled)]
    assert statuses == [RequestStatus.SUCCEEDED] * len(KEYS)
    entries = await cluster.entries(incident_id)
    assert whens(entries) == sorted(whens(entries))
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
