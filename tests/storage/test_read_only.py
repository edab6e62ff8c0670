"""The read side never queues behind a writer, and cannot write.

A read-only unit of work (console pages, cards, ``/healthz``) reads the committed
state while a writer holds the write lock: on SQLite it is a deferred snapshot, not
a second ``BEGIN IMMEDIATE`` waiting out the busy timeout. It cannot commit, and a
write inside it fails on both databases and changes nothing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from bot.core.actors import Actor
from bot.core.incidents import Environment, Incident, Severity
from bot.core.ports import ReadOnlyCommit
from bot.service import views
from bot.service.context import Services
from bot.storage.unit_of_work import Database
from tests.fakes.clock import FakeClock
from tests.service.conftest import FakeSigner

pytestmark = pytest.mark.db
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BOUND_S = 60  # the busy timeout is 30 s: a reader queued on the write lock fails first


def _incident(n: int) -> Incident:
    return Incident(
        id=f"INC-20261122-{n:04d}",
        title="t",
        severity=Severity.SEV3,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=T0,
        declared_by=Actor("slack", "U1"),
    )


async def _declared(database: Database, n: int) -> str:
    async with database.uow() as uow:
        await uow.incidents.add(_incident(n))
        await uow.commit()
    return _incident(n).id


def _services(database: Database) -> Services:
    return Services(
        uow=database.uow,
        clock=FakeClock(T0),
        playbooks={},
        catalogue={},
        connectors={},
        notifiers={},
        default_platform="console",
        signer=FakeSigner(),
    )


async def test_the_read_side_proceeds_while_a_writer_holds_the_write_lock(
    database: Database,
) -> None:
    committed = await _declared(database, 1)
    async with database.uow() as writer:
        await writer.incidents.add(_incident(2))  # the write lock is taken, not released
        listed = await asyncio.wait_for(views.incident_list(_services(database)), BOUND_S)
        await asyncio.wait_for(database.ping(), BOUND_S)
        counts = await asyncio.wait_for(database.counts(), BOUND_S)
        await writer.commit()
    assert [row.incident.id for row in listed] == [committed]  # what was committed
    assert sum(counts["incidents"].values()) == 1
    after = await views.incident_list(_services(database))
    assert {row.incident.id for row in after} == {committed, _incident(2).id}


async def test_a_read_only_unit_of_work_cannot_write(database: Database) -> None:
    async with database.uow(read_only=True) as reader:
        with pytest.raises(ReadOnlyCommit):
            await reader.commit()
    async with database.uow(read_only=True) as reader:
        with pytest.raises(DBAPIError):
            await reader.incidents.add(_incident(1))
    async with database.uow(read_only=True) as reader:
        assert await reader.incidents.list_incidents() == []
    written = await _declared(database, 2)  # a writer after readers on the same pool
    async with database.uow(read_only=True) as reader:
        assert [i.id for i in await reader.incidents.list_incidents()] == [written]
