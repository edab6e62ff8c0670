"""The SQL store on SQLite, and on PostgreSQL when BLASTWALL_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.core.actions import ActionOutcome, ActionRequest, RequestStatus
from bot.core.actors import Actor
from bot.core.evidence import EvidenceRecord, What
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Incident, MessageRef, RoomRef, Severity, Status
from bot.evidence.chain import GENESIS
from bot.storage.migrate import current_revision, upgrade
from bot.storage.unit_of_work import Database

pytestmark = pytest.mark.db

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
ALICE = Actor("slack", "UALICE", "Alice")
KEY = AffectedIdentity(
    "aws",
    IdentityKind.ACCESS_KEY,
    "AKIAEXAMPLE0001",
    owner="payments",
    shared_with_humans=True,
    attributes=(("user", "ci"),),
)


def _incident(number: int = 1) -> Incident:
    incident = Incident(
        id=f"INC-20261122-{number:04d}",
        title="Leaked key",
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="leaked",
        declared_at=T0,
        declared_by=ALICE,
        summary="s",
        identities=[KEY],
    )
    incident.assign_commander(ALICE, T0)
    return incident


async def _stored(database: Database, incident: Incident) -> None:
    async with database.uow() as uow:
        await uow.incidents.add(incident)
        await uow.commit()


async def test_an_incident_round_trips(database: Database) -> None:
    incident = _incident()
    await _stored(database, incident)
    async with database.uow() as uow:
        incident.room = RoomRef("slack", "C1", "inc-20261122-0001")
        incident.card = MessageRef("slack", "C1", "1.2")
        incident.assign_commander(Actor("slack", "UBOB"), T0.replace(hour=10))
        incident.transition(Status.CONTAINED)
        await uow.incidents.save(incident)
        await uow.commit()
    async with database.uow() as uow:
        loaded = await uow.incidents.get(incident.id, for_update=True)
        found = await uow.incidents.find_open_with_identity(KEY.key)
    assert loaded == incident
    assert found is not None and found.id == incident.id
    assert loaded.declared_at.tzinfo is not None


async def test_incident_numbers_are_unique_under_concurrency(database: Database) -> None:
    async def reserve() -> int:
        async with database.uow() as uow:
            number = await uow.incidents.next_number("20261122")
            await uow.commit()
            return number

    numbers = await asyncio.gather(*(reserve() for _ in range(8)))
    assert sorted(numbers) == list(range(1, 9))


async def test_a_duplicate_idempotency_key_is_refused_and_the_rest_commits(
    database: Database,
) -> None:
    await _stored(database, _incident())
    request = ActionRequest("INC-20261122-0001", "a", KEY.key, {}, ALICE, "k" * 64, T0)
    async with database.uow() as uow:
        assert await uow.incidents.add_request(request)
        await uow.commit()
    async with database.uow() as uow:
        assert not await uow.incidents.add_request(request)
        await uow.incidents.append_evidence(
            EvidenceRecord("INC-20261122-0001", What.INCIDENT_DECLARED, ALICE, T0)
        )
        await uow.commit()
    async with database.uow() as uow:
        request.status = RequestStatus.SUCCEEDED
        request.outcome = ActionOutcome(ok=True, summary="done", after={"status": "Inactive"})
        await uow.incidents.save_request(request)
        await uow.commit()
    async with database.uow() as uow:
        assert await uow.incidents.get_request("k" * 64) == request
        assert len(await uow.incidents.evidence_lines("INC-20261122-0001")) == 1


async def test_evidence_is_chained_and_redacted(database: Database) -> None:
    await _stored(database, _incident())
    async with database.uow() as uow:
        for n in range(3):
            await uow.incidents.append_evidence(
                EvidenceRecord(
                    "INC-20261122-0001",
                    cast(What, f"step {n}"),  # any label: the chain does not read it
                    ALICE,
                    T0,
                    why="token xoxb-1234567890-abcdefghij",
                )
            )
        await uow.incidents.add_checkpoint("INC-20261122-0001", 3, "note")
        await uow.commit()
    async with database.uow() as uow:
        entries = [json.loads(x) for x in await uow.incidents.evidence_lines("INC-20261122-0001")]
        assert await uow.incidents.checkpoints("INC-20261122-0001") == [(3, "note")]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev_hash"] == GENESIS
    assert [e["prev_hash"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert all("xoxb-" not in e["why"] and "[REDACTED:slack_token:" in e["why"] for e in entries)


async def test_a_failed_unit_of_work_leaves_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.uow() as uow:
            await uow.incidents.add(_incident())
            await uow.incidents.append_evidence(
                EvidenceRecord("INC-20261122-0001", What.INCIDENT_DECLARED, ALICE, T0)
            )
            raise RuntimeError("crash before commit")
    async with database.uow() as uow:
        assert await uow.incidents.get("INC-20261122-0001") is None
        assert await uow.incidents.evidence_lines("INC-20261122-0001") == []


@pytest.mark.parametrize("table", ["evidence_entries", "checkpoints"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {t} SET incident_id = incident_id", "DELETE FROM {t}"]
)
async def test_the_database_refuses_to_change_evidence(
    database: Database, table: str, statement: str
) -> None:
    await _stored(database, _incident())
    async with database.uow() as uow:
        await uow.incidents.append_evidence(
            EvidenceRecord("INC-20261122-0001", What.INCIDENT_DECLARED, ALICE, T0)
        )
        await uow.incidents.add_checkpoint("INC-20261122-0001", 1, "note")
        await uow.commit()
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        async with database.engine.begin() as conn:
            await conn.execute(text(statement.format(t=table)))
    async with database.engine.connect() as conn:
        count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
    assert count == 1


async def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)
    # the head, whichever migration comes last
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None and await current_revision(database_url) == head
