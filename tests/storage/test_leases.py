"""Call leases in the SQL store: one live holder at a time, renewals only by the
holder, and an intent counts as abandoned only once its lease has lapsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.actions import ActionOutcome, ActionRequest, RequestStatus
from bot.core.actors import Actor
from bot.core.incidents import Environment, Incident, Severity
from bot.storage.unit_of_work import Database

pytestmark = pytest.mark.db
KEY = "k" * 64


async def _running(database: Database) -> datetime:
    now = datetime.now(UTC)
    incident = Incident(
        id="INC-20261201-0001",
        title="t",
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=now,
        declared_by=Actor("slack", "U1"),
    )
    request = ActionRequest(
        incident_id=incident.id,
        action_id="aws_iam.deactivate_access_key",
        target_key="aws:access_key:AKIAEXAMPLE0001",
        params={},
        actor=Actor("slack", "UIAM"),
        idempotency_key=KEY,
        requested_at=now,
    )
    async with database.uow() as uow:
        await uow.incidents.add(incident)
        assert await uow.incidents.add_request(request)
        await uow.commit()
    return now


async def test_one_live_holder_and_only_the_holder_renews(database: Database) -> None:
    now = await _running(database)
    async with database.uow() as uow:
        store = uow.incidents
        assert await store.take_lease(KEY, "a", 30, now) is not None
        assert await store.take_lease(KEY, "b", 30, now) is None
        assert await store.renew_lease(KEY, "b", 30, now) is None
        assert await store.renew_lease(KEY, "a", 30, now) is not None
        assert await store.abandoned(now, older_than_s=0) == []
        await uow.commit()


async def test_a_lapsed_lease_is_abandoned_and_can_be_taken_over(database: Database) -> None:
    now = await _running(database)
    async with database.uow() as uow:
        assert await uow.incidents.take_lease(KEY, "a", 0, now) is not None
        await uow.commit()
    later = now + timedelta(seconds=1)  # SQLite: the caller's clock; PostgreSQL: its own
    async with database.uow() as uow:
        store = uow.incidents
        assert [r.idempotency_key for r in await store.abandoned(later, 300)] == [KEY]
        assert await store.take_lease(KEY, "b", 30, later) is not None
        assert await store.abandoned(later, 300) == []
        await uow.commit()


async def test_an_outcome_lands_only_while_the_request_still_runs(database: Database) -> None:
    now = await _running(database)
    async with database.uow() as uow:
        request = await uow.incidents.get_request(KEY)
        assert request is not None
        request.status = RequestStatus.FAILED
        request.outcome = ActionOutcome(ok=False, summary="reconciled: not made")
        assert await uow.incidents.save_request(request, expect=RequestStatus.RUNNING)
        request.status = RequestStatus.SUCCEEDED
        assert not await uow.incidents.save_request(request, expect=RequestStatus.RUNNING)
        assert await uow.incidents.take_lease(KEY, "a", 30, now) is None
        await uow.commit()
    async with database.uow() as uow:
        stored = await uow.incidents.get_request(KEY)
    assert stored is not None and stored.status is RequestStatus.FAILED
