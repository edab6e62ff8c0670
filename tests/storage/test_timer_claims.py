"""Batch claims: two replicas claiming at the same time get disjoint batches, and the
claim is measured on the database's clock.

On PostgreSQL the second replica claims while the first one's batch is still open
(its incidents locked), and must not wait for it. SQLite has one writer, so there
the second claims after the first commits.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.actors import Actor
from bot.core.escalation import StallKind
from bot.core.incidents import Environment, Incident, Severity
from bot.core.timers import Timer
from bot.storage.unit_of_work import Database
from tests.fixtures_db import REDACTOR

pytestmark = pytest.mark.db
KIND = StallKind.NO_STATUS_UPDATE
BOUND_S = 60


async def _seed(database: Database, incidents: int, per_incident: int) -> set[int]:
    now = datetime.now(UTC)
    past = now - timedelta(minutes=30)
    ids: set[int] = set()
    async with database.uow() as uow:
        for n in range(incidents):
            incident_id = f"INC-20261122-{n + 1:04d}"
            await uow.incidents.add(
                Incident(
                    id=incident_id,
                    title="t",
                    severity=Severity.SEV3,
                    environment=Environment.PRODUCTION,
                    playbook="p",
                    declared_at=past,
                    declared_by=Actor("slack", "U1"),
                )
            )
            for k in range(per_incident):
                timer = await uow.timers.arm(incident_id, KIND, f"s{k}", now, past)
                assert timer.id is not None
                ids.add(timer.id)
        await uow.commit()
    return ids


async def test_two_replicas_claiming_at_once_get_disjoint_batches(
    database: Database, database_url: str, dialect: str
) -> None:
    seeded = await _seed(database, incidents=4, per_incident=5)
    other = Database(database_url, REDACTOR.redact_body)  # the second replica
    now = datetime.now(UTC)
    try:
        async with database.uow() as first:
            mine = await first.timers.claim_due(now, 10, "r1")
            if dialect == "postgresql":  # while the first batch is open
                theirs = await asyncio.wait_for(_claim(other, now, "r2"), BOUND_S)
            await first.commit()
        if dialect != "postgresql":
            theirs = await _claim(other, now, "r2")
    finally:
        await other.dispose()
    assert mine and theirs, "each replica found work"
    assert not {t.id for t in mine} & {t.id for t in theirs}
    assert {t.id for t in mine} | {t.id for t in theirs} == seeded
    for timer in [*mine, *theirs]:
        assert timer.fired_at is not None and timer.fired_at >= timer.due_at
    async with database.uow() as uow:
        assert await uow.timers.claim_due(now, 100, "r3") == []


async def _claim(database: Database, now: datetime, claimer: str) -> list[Timer]:
    async with database.uow() as uow:
        claimed = list(await uow.timers.claim_due(now, 10, claimer))
        await uow.commit()
    return claimed
