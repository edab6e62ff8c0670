"""Replicas fire due timers in batches: each timer exactly once, none waiting for an
incident another transaction holds, and none lost when a batch fails between its
claim and its effects (the claim rolls back with them).

Timers are arranged in the store; firing goes through the bus (``FireDueTimers``),
as the escalation clock sends it. Row locks exist only on PostgreSQL: SQLite has one
writer and nothing finer to hold, so there the held incident is simply not held.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.core.actors import Actor
from bot.core.commands import FireDueTimers
from bot.core.escalation import StallKind
from bot.core.events import Event
from bot.core.incidents import Environment, Incident, Severity
from bot.storage.models import IncidentRow, NoticeRow
from bot.storage.unit_of_work import Database
from tests.reliability.conftest import Cluster, Replica
from tests.service.conftest import GATED, PLAYBOOK

pytestmark = pytest.mark.db
KIND = StallKind.NO_STATUS_UPDATE
BOUND_S = 60  # a claimer that waited on a held lock would hang: fail instead
ROUNDS = 100


async def _seed(
    database: Database, incidents: int, per_incident: int, playbooks: Sequence[str] = ()
) -> dict[str, list[int]]:
    """Incidents whose timers fell due an hour ago, the first incident's oldest; the
    next steps fall due only later. Returns each incident's timer ids."""
    now = datetime.now(UTC)
    past = now - timedelta(hours=1)
    seeded: dict[str, list[int]] = {}
    async with database.uow() as uow:
        for n in range(incidents):
            incident_id = f"INC-20261122-{n + 1:04d}"
            playbook = playbooks[n] if n < len(playbooks) else PLAYBOOK.name
            await uow.incidents.add(_incident(incident_id, playbook, past))
            seeded[incident_id] = []
            for k in range(per_incident):
                due = past + timedelta(seconds=n + k * incidents)
                timer = await uow.timers.arm(incident_id, KIND, f"s{k}", now, due)
                assert timer.id is not None
                seeded[incident_id].append(timer.id)
        await uow.commit()
    return seeded


def _incident(incident_id: str, playbook: str, declared_at: datetime) -> Incident:
    return Incident(
        id=incident_id,
        title="timers",
        severity=Severity.SEV3,
        environment=Environment.PRODUCTION,
        playbook=playbook,
        declared_at=declared_at,
        declared_by=Actor("slack", "U0EXAMPLE1"),
    )


async def _fired(database: Database, seeded: dict[str, list[int]]) -> Counter[int]:
    """How many "escalation timer fired" entries each seeded timer has."""
    wanted = {t for ids in seeded.values() for t in ids}
    fired: Counter[int] = Counter()
    async with database.uow(read_only=True) as uow:
        for incident_id in seeded:
            for line in await uow.incidents.evidence_lines(incident_id):
                entry = json.loads(line)
                if entry["what"] == "escalation timer fired":
                    fired[int(entry["details"]["timer"])] += 1
    assert set(fired) <= wanted
    return fired


async def _pending(database: Database, incident_id: str) -> set[int]:
    async with database.uow(read_only=True) as uow:
        return {t.id for t in await uow.timers.pending(incident_id) if t.id is not None}


async def _drain(replica: Replica, claimer: str) -> list[Event]:
    """Fire until a pass finds nothing it can take, as one wake-up of the clock does."""
    events: list[Event] = []
    for _ in range(ROUNDS):
        fired = await replica.bus.handle(FireDueTimers(claimer, 200))
        if not fired:
            return events
        events += fired
    raise AssertionError(f"still firing after {ROUNDS} passes")


@asynccontextmanager
async def _holding(database: Database, incident_id: str, dialect: str) -> AsyncIterator[None]:
    """Another transaction holding the incident's row lock (a replica's batch, a click)."""
    if dialect != "postgresql":
        yield
        return
    async with database.engine.connect() as conn:
        await conn.execute(
            select(IncidentRow.id).where(IncidentRow.id == incident_id).with_for_update()
        )
        yield
        await conn.rollback()


async def test_concurrent_replicas_fire_each_timer_exactly_once(
    cluster: Cluster, database: Database
) -> None:
    seeded = await _seed(database, incidents=4, per_incident=15)
    replicas = [cluster.replica() for _ in range(3)]
    for _ in range(ROUNDS):
        passes = [r.bus.handle(FireDueTimers(f"r{i}", 10)) for i, r in enumerate(replicas)]
        if not any(await asyncio.gather(*passes)):
            break
    fired = await _fired(database, seeded)
    assert len(fired) == 60 and set(fired.values()) == {1}, "a timer fired twice or not at all"
    for incident_id, ids in seeded.items():
        assert not await _pending(database, incident_id) & set(ids)


async def test_a_replica_fires_other_incidents_while_one_is_held(
    cluster: Cluster, database: Database, dialect: str
) -> None:
    seeded = await _seed(database, incidents=3, per_incident=5)
    held, *others = seeded  # the held incident has the oldest timer
    replica = cluster.replica()
    async with _holding(database, held, dialect):
        await asyncio.wait_for(_drain(replica, "r1"), BOUND_S)
        fired = await _fired(database, seeded)
    assert all(fired[t] == 1 for incident in others for t in seeded[incident])
    if dialect == "postgresql":  # left for the next round, not waited for
        assert await _pending(database, held) == set(seeded[held])
    await asyncio.wait_for(_drain(replica, "r1"), BOUND_S)
    fired = await _fired(database, seeded)
    assert len(fired) == 15 and set(fired.values()) == {1}


async def test_a_batch_that_fails_between_claim_and_effect_loses_no_timer(
    cluster: Cluster, database: Database
) -> None:
    # The second incident's playbook is unknown to the failing replica: its batch
    # claims, records the first incident's effects, then fails on the second.
    seeded = await _seed(database, 4, 3, playbooks=(PLAYBOOK.name, GATED.name))
    failing = cluster.replica(playbooks={PLAYBOOK.name: PLAYBOOK})
    with pytest.raises(KeyError):
        await failing.bus.handle(FireDueTimers("failing", 200))
    assert not await _fired(database, seeded)
    for incident_id, ids in seeded.items():
        assert await _pending(database, incident_id) == set(ids)  # no next step armed
    async with database.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(NoticeRow))).scalar() == 0
    healthy = cluster.replica(playbooks={PLAYBOOK.name: PLAYBOOK, GATED.name: GATED})
    await asyncio.wait_for(_drain(healthy, "healthy"), BOUND_S)
    fired = await _fired(database, seeded)
    assert len(fired) == 12 and set(fired.values()) == {1}
