"""The SQL activity queue (SQLite, and PostgreSQL in CI): one collection per incident,
identity and phase; a claim that keeps other processes off until it lapses; a finish
only its holder can make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.activity import Collection, Phase
from bot.core.actors import Actor
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Incident, Severity
from bot.storage.unit_of_work import Database

pytestmark = pytest.mark.db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KEY = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAQUEUE00000000001")


async def _incident(database: Database) -> str:
    incident = Incident(
        id="INC-20261201-0001",
        title="t",
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=NOW,
        declared_by=Actor("alert", "scanner"),
    )
    async with database.uow() as uow:
        await uow.incidents.add(incident)
        await uow.commit()
    return incident.id


async def test_queued_once_claimed_once_finished_by_its_holder(database: Database) -> None:
    incident_id = await _incident(database)
    collection = Collection(incident_id, KEY, Phase.DECLARED, NOW - timedelta(hours=1), NOW)
    async with database.uow() as uow:
        assert await uow.activity.add(collection, NOW)
        assert not await uow.activity.add(collection, NOW)  # the key: once
        assert await uow.activity.last_until(incident_id, KEY.key) == NOW
        await uow.commit()
    async with database.uow() as uow:
        (claimed,) = await uow.activity.claim("a", NOW, 60, 10)
        await uow.commit()
    assert claimed == collection
    async with database.uow() as uow:
        assert await uow.activity.claim("b", NOW + timedelta(seconds=30), 60, 10) == []
        (taken,) = await uow.activity.claim("b", NOW + timedelta(seconds=61), 60, 10)
        await uow.commit()
    async with database.uow() as uow:
        assert not await uow.activity.finish(taken, "a", NOW)  # a's claim lapsed
        assert await uow.activity.finish(taken, "b", NOW)
        assert not await uow.activity.finish(taken, "b", NOW)  # done once
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.activity.claim("c", NOW + timedelta(hours=1), 60, 10) == []
