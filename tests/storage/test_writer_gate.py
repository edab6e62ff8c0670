"""One writer in front of SQLite: the write units of work of one process take turns
at the database's gate instead of spinning on SQLite's busy lock, and a task that
opens a write unit of work inside its own is told so instead of waiting forever.
(SQLite only: PostgreSQL has row locks and needs no gate.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.actors import Actor
from bot.core.incidents import Environment, Incident, Severity
from bot.storage.database import NestedWrite
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import Database
from tests.fixtures_db import REDACTOR

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


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


async def _sqlite(tmp_path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}"
    await upgrade(url)
    return Database(url, REDACTOR.redact_body)


async def test_writers_of_one_process_take_turns(tmp_path: Path) -> None:
    database = await _sqlite(tmp_path)
    seen: list[str] = []
    release, first_in, second_started = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def write(n: int, hold: asyncio.Event | None) -> None:
        if hold is None:
            second_started.set()
        async with database.uow() as uow:
            seen.append(f"{n} in")
            first_in.set()
            await uow.incidents.add(_incident(n))
            if hold is not None:
                await hold.wait()
            await uow.commit()
        seen.append(f"{n} out")

    try:
        first = asyncio.create_task(write(1, release))
        await first_in.wait()
        second = asyncio.create_task(write(2, None))
        await second_started.wait()  # it ran until it had to wait: at the gate
        assert seen == ["1 in"]
        release.set()
        await asyncio.wait_for(asyncio.gather(first, second), 60)
        assert seen == ["1 in", "1 out", "2 in", "2 out"]
        async with database.uow(read_only=True) as reader:
            assert len(await reader.incidents.list_incidents()) == 2
    finally:
        await database.dispose()


async def test_a_write_inside_a_write_of_the_same_task_is_refused(tmp_path: Path) -> None:
    database = await _sqlite(tmp_path)
    try:
        async with database.uow() as outer:
            await outer.incidents.add(_incident(1))
            with pytest.raises(NestedWrite):
                async with database.uow():
                    pass
            async with database.uow(read_only=True) as reader:  # reading is fine
                assert await reader.incidents.list_incidents() == []
            await outer.commit()
        async with database.uow() as after:  # the gate was given back
            assert len(await after.incidents.list_incidents()) == 1
    finally:
        await database.dispose()
