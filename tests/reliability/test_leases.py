"""One outcome per call: a call in flight holds a lease its process renews; the
reconciler settles only intents whose lease lapsed, and only while they are still
running, so a late normal outcome and a reconciled one can never both be recorded.
A reconciled success moves the incident just as a normal success does."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.actions import RequestStatus
from bot.core.commands import ReconcileIntents, RequestAction
from bot.core.escalation import StallKind
from bot.core.events import ActionDuplicate, ActionSettled, Event
from bot.core.incidents import Status
from connectors.aws_iam.specs import DEACTIVATE_ACCESS_KEY
from tests.reliability.conftest import IAM, KEYS, OUTCOMES, Cluster, Replica, count, declare

pytestmark = pytest.mark.db
BOUND_S = 20


def _click(replica: Replica, incident_id: str) -> asyncio.Task[list[Event]]:
    async def run() -> list[Event]:
        return list(
            await replica.bus.handle(
                RequestAction(incident_id, DEACTIVATE_ACCESS_KEY.id, KEYS[0].key, IAM)
            )
        )

    return asyncio.create_task(run())


async def test_a_live_call_is_left_alone_by_a_reconciler_whose_clock_is_ahead(
    cluster: Cluster, an_hour_fast: timedelta
) -> None:
    caller = cluster.replica()
    fast = cluster.replica(ahead=an_hour_fast)
    incident_id = await declare(caller)
    call = _click(caller, incident_id)
    await asyncio.wait_for(cluster.aws.reached.wait(), BOUND_S)
    # Zero grace: only the lease stands between the live call and the reconciler.
    assert await fast.bus.handle(ReconcileIntents(older_than_s=0)) == []
    cluster.aws.release.set()
    (settled,) = await asyncio.wait_for(call, BOUND_S)
    assert isinstance(settled, ActionSettled) and settled.status is RequestStatus.SUCCEEDED
    assert await fast.bus.handle(ReconcileIntents(older_than_s=0)) == []
    entries = await cluster.entries(incident_id)
    assert count(entries, lambda what: what in OUTCOMES) == 1
    assert count(entries, lambda what: what == "status changed") == 1


async def test_a_lapsed_lease_is_settled_and_a_reconciled_success_contains_the_incident(
    cluster: Cluster,
) -> None:
    caller = cluster.replica(lease_s=0)  # its lease lapses as soon as renewals stop
    other = cluster.replica()
    incident_id = await declare(caller)
    call = _click(caller, incident_id)
    await asyncio.wait_for(cluster.aws.reached.wait(), BOUND_S)
    call.cancel()  # the process is gone mid-call; the change had landed
    with pytest.raises(asyncio.CancelledError):
        await call
    (settled,) = await other.bus.handle(ReconcileIntents(older_than_s=300))
    assert isinstance(settled, ActionSettled) and settled.status is RequestStatus.SUCCEEDED
    assert (await cluster.incident(incident_id)).status is Status.CONTAINED
    entries = await cluster.entries(incident_id)
    whats = [e["what"] for e in entries]
    assert whats[-2:] == ["action reconciled", "status changed"]
    changed = entries[-1]
    assert (changed["before"], changed["after"]) == (
        {"status": "declared"},
        {"status": "contained"},
    )
    assert changed["why"] == f"{DEACTIVATE_ACCESS_KEY.id} succeeded on {KEYS[0].key}"
    async with cluster.opened[0].uow() as uow:
        kinds = {t.kind for t in await uow.timers.pending(incident_id)}
    assert StallKind.ACTION_NOT_RUN not in kinds
    assert cluster.aws.applied == []  # read, never called again


async def test_when_the_reconciler_settles_first_the_late_call_records_no_second_outcome(
    cluster: Cluster,
) -> None:
    caller = cluster.replica(lease_s=0)  # alive, but stalled past its lease
    other = cluster.replica()
    incident_id = await declare(caller)
    call = _click(caller, incident_id)
    await asyncio.wait_for(cluster.aws.reached.wait(), BOUND_S)
    (reconciled,) = await other.bus.handle(ReconcileIntents(older_than_s=300))
    assert isinstance(reconciled, ActionSettled)
    cluster.aws.release.set()
    (late,) = await asyncio.wait_for(call, BOUND_S)
    assert isinstance(late, ActionDuplicate) and late.status is reconciled.status
    entries = await cluster.entries(incident_id)
    assert count(entries, lambda what: what in OUTCOMES) == 1
    assert count(entries, lambda what: what == "late outcome not recorded") == 1
    assert count(entries, lambda what: what == "status changed") == 1
