"""Timers in the database: fencing by generation, and exactly-once claims under contention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.actors import Actor
from bot.core.escalation import StallKind
from bot.core.incidents import Environment, Incident, Severity
from bot.core.timers import TimerState
from bot.storage.unit_of_work import Database

pytestmark = pytest.mark.db
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
KIND = StallKind.NO_STATUS_UPDATE


async def _incident(database: Database) -> str:
    incident = Incident(
        id="INC-20261122-0001",
        title="t",
        severity=Severity.SEV3,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=T0,
        declared_by=Actor("slack", "U1"),
    )
    async with database.uow() as uow:
        await uow.incidents.add(incident)
        await uow.commit()
    return incident.id


async def test_a_newer_generation_fences_out_the_older(database: Database) -> None:
    incident_id = await _incident(database)
    async with database.uow() as uow:
        first = await uow.timers.arm(incident_id, KIND, "status", T0, T0 + timedelta(minutes=5))
        second = await uow.timers.arm(incident_id, KIND, "status", T0, T0 + timedelta(minutes=9))
        await uow.commit()
    assert (first.generation, second.generation) == (1, 2)
    async with database.uow() as uow:
        pending = await uow.timers.pending(incident_id)
        due = await uow.timers.due(T0 + timedelta(hours=1), 10)
    assert [(t.generation, t.state) for t in pending] == [(2, TimerState.PENDING)]
    assert due == [(second.id, incident_id)]


async def test_each_due_timer_is_claimed_exactly_once(database: Database) -> None:
    incident_id = await _incident(database)
    async with database.uow() as uow:
        for n in range(40):
            await uow.timers.arm(incident_id, KIND, f"s{n}", T0, T0 + timedelta(seconds=n))
        await uow.commit()
    now = T0 + timedelta(hours=1)

    async def claimer(name: str) -> list[int]:
        won: list[int] = []
        async with database.uow() as uow:
            due = await uow.timers.due(now, 100)
        for timer_id, incident in due:
            async with database.uow() as uow:
                timer = await uow.timers.claim(timer_id, incident, now, name)
                await uow.commit()
            if timer is not None:
                won.append(timer_id)
        return won

    results = await asyncio.gather(*(claimer(f"c{i}") for i in range(4)))
    claimed = [t for won in results for t in won]
    assert len(claimed) == 40 and len(set(claimed)) == 40
    async with database.uow() as uow:
        assert await uow.timers.due(now, 100) == []


async def test_the_outbox_hands_each_unsent_notice_to_one_claimer_at_a_time(
    database: Database,
) -> None:
    incident_id = await _incident(database)
    async with database.uow() as uow:
        ids = [await uow.outbox.add(incident_id, {"n": n}) for n in range(3)]
        await uow.commit()
    later = datetime.now(UTC) + timedelta(minutes=2)
    async with database.uow() as uow:
        first = await uow.outbox.claim_unsent(later, later - timedelta(seconds=60), 10)
        await uow.outbox.mark_sent(ids[0], later)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.outbox.claim_unsent(later, later - timedelta(seconds=60), 10) == []
    much_later = later + timedelta(minutes=5)
    async with database.uow() as uow:
        retried = await uow.outbox.claim_unsent(much_later, much_later - timedelta(seconds=60), 10)
    assert [n for n, _ in first] == ids
    assert [n for n, _ in retried] == ids[1:]
