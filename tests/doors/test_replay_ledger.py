"""The replay ledger on the real database: one winner across replicas, expired rows pruned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage.database import make_engine, session_factory
from bot.storage.replays import SqlReplayLedger
from bot.storage.unit_of_work import Database
from bot.timers.system_clock import SystemClock

pytestmark = pytest.mark.db


def _later() -> datetime:
    """Six minutes from now, taken when the test runs: a module constant is taken at
    collection, and a long suite can reach it before this test does."""
    return datetime.now(UTC) + timedelta(minutes=6)


async def test_two_replicas_agree_on_the_first_delivery(database: Database) -> None:
    engines = [make_engine(database.url) for _ in range(2)]
    try:
        replicas = [SqlReplayLedger(session_factory(engine), SystemClock()) for engine in engines]
        later = _later()
        verdicts = await asyncio.gather(
            *(ledger.first_time("sig-1", later) for ledger in replicas for _ in range(3))
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(verdicts) == [False] * 5 + [True]


async def test_an_expired_digest_is_pruned_and_a_forgotten_one_is_taken_again(
    database: Database,
) -> None:
    ledger = SqlReplayLedger(session_factory(database.engine), SystemClock())
    later = _later()
    assert await ledger.first_time("old", datetime.now(UTC) - timedelta(seconds=1))
    assert await ledger.first_time("old", later)  # the expired row was pruned first
    assert not await ledger.first_time("old", later)
    await ledger.forget("old")
    assert await ledger.first_time("old", later)
