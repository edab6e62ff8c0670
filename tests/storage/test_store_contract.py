"""One contract, two stores: every scenario runs against the in-memory fake the
service tests use and against the SQL store (SQLite, or PostgreSQL when
BLASTWALL_TEST_DATABASE_URL is set), so the fake cannot drift from the real thing."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.actions import ActionRequest, RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import Approval, Decision
from bot.core.escalation import StallKind
from bot.core.evidence import EvidenceRecord, What
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Environment, Incident, RoomRef, Severity, Status
from bot.core.transcript import MessageKey, TranscriptPosition
from bot.evidence.chain import GENESIS, RESERVED, seal
from tests.fakes.memory_store import MemoryDatabase
from tests.fixtures_db import REDACTOR

pytestmark = pytest.mark.db
Uow = Callable[[], Any]  # MemoryUnitOfWork | SqlUnitOfWork: the same port, two shapes
KEY = "k" * 64
IDENTITY = AffectedIdentity("aws", IdentityKind.ACCESS_KEY, "AKIAEXAMPLE0001")


@pytest.fixture(params=["memory", "sql"])
def uow(request: pytest.FixtureRequest) -> Uow:
    if request.param == "memory":
        return MemoryDatabase(redact=REDACTOR.redact_body).uow
    return request.getfixturevalue("database").uow  # type: ignore[no-any-return]


def _incident(number: int = 1, now: datetime | None = None) -> Incident:
    return Incident(
        id=f"INC-20261201-{number:04d}",
        title="leaked key",
        severity=Severity.SEV2,
        environment=Environment.PRODUCTION,
        playbook="p",
        declared_at=now or datetime.now(UTC),
        declared_by=Actor("slack", "U1"),
        identities=[IDENTITY],
    )


def _request(incident_id: str, key: str = KEY) -> ActionRequest:
    return ActionRequest(
        incident_id=incident_id,
        action_id="aws_iam.deactivate_access_key",
        target_key=IDENTITY.key,
        params={},
        actor=Actor("slack", "UIAM"),
        idempotency_key=key,
        requested_at=datetime.now(UTC),
    )


async def _declared(uow: Uow, *incidents: Incident) -> None:
    async with uow() as u:
        for incident in incidents or (_incident(),):
            await u.incidents.add(incident)
        await u.commit()


async def test_numbers_count_per_day(uow: Uow) -> None:
    async with uow() as u:
        got = [await u.incidents.next_number(d) for d in ("20261201", "20261201", "20261202")]
        await u.commit()
    assert got == [1, 2, 1]


async def test_an_incident_round_trips_and_is_found_by_room_and_identity(uow: Uow) -> None:
    incident = _incident()
    await _declared(uow, incident)
    async with uow() as u:
        store = u.incidents
        assert await store.get("INC-20261201-0404") is None
        stored = await store.get(incident.id)
        assert stored is not None and stored.title == "leaked key"
        assert stored.identities == [IDENTITY]
        stored.room = RoomRef("slack", "C1", "inc-1")
        await store.save(stored)
        await u.commit()
    async with uow() as u:
        assert (await u.incidents.find_by_room("slack", "C1")) is not None
        assert await u.incidents.find_by_room("slack", "C2") is None
        found = await u.incidents.find_open_with_identity(IDENTITY.key)
        assert found is not None and found.id == incident.id
        assert [i.id for i in await u.incidents.list_incidents()] == [incident.id]


async def test_a_closed_incident_no_longer_collects_alerts(uow: Uow) -> None:
    await _declared(uow)
    async with uow() as u:
        incident = await u.incidents.get(_incident().id)
        assert incident is not None
        await u.incidents.save(replace(incident, status=Status.CLOSED))
        await u.commit()
    async with uow() as u:
        assert await u.incidents.find_open_with_identity(IDENTITY.key) is None


async def test_leaving_without_a_commit_writes_nothing(uow: Uow) -> None:
    async with uow() as u:
        await u.incidents.add(_incident())
        await u.incidents.append_evidence(_record(_incident().id, What.INCIDENT_DECLARED))
    async with uow() as u:
        assert await u.incidents.get(_incident().id) is None
        assert await u.incidents.evidence_lines(_incident().id) == []


async def test_a_request_key_is_taken_once_and_saved_only_from_the_expected_status(
    uow: Uow,
) -> None:
    incident = _incident()
    await _declared(uow, incident)
    async with uow() as u:
        assert await u.incidents.add_request(_request(incident.id))
        await u.commit()
    async with uow() as u:
        assert not await u.incidents.add_request(_request(incident.id))
        done = replace(_request(incident.id), status=RequestStatus.SUCCEEDED)
        assert not await u.incidents.save_request(done, expect=RequestStatus.AWAITING_APPROVAL)
        assert await u.incidents.save_request(done, expect=RequestStatus.RUNNING)
        await u.commit()
    async with uow() as u:
        stored = await u.incidents.get_request(KEY)
        assert stored is not None and stored.status is RequestStatus.SUCCEEDED
        assert [r.idempotency_key for r in await u.incidents.requests_for(incident.id)] == [KEY]
        assert await u.incidents.get_request("n" * 64) is None


async def test_one_approval_per_approver(uow: Uow) -> None:
    incident = _incident()
    await _declared(uow, incident)
    approval = Approval(
        KEY, Actor("slack", "UMGR"), Decision.APPROVE, "h" * 64, "ok", datetime.now(UTC)
    )
    async with uow() as u:
        assert await u.incidents.add_request(_request(incident.id))
        assert await u.incidents.add_approval(approval)
        assert not await u.incidents.add_approval(replace(approval, decision=Decision.DENY))
        await u.commit()
    async with uow() as u:
        [stored] = await u.incidents.approvals_for(KEY)
        assert stored.decision is Decision.APPROVE and stored.approver == approval.approver


def _record(incident_id: str, what: What, at: datetime | None = None) -> EvidenceRecord:
    return EvidenceRecord(
        incident_id,
        what,
        Actor("slack", "U1"),
        at or datetime.now(UTC),
        details={"token": "ghp_" + "a" * 36},
    )


async def test_evidence_chains_never_goes_back_in_time_and_is_redacted(uow: Uow) -> None:
    incident = _incident()
    await _declared(uow, incident)
    late = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    async with uow() as u:
        assert (
            await u.incidents.append_evidence(_record(incident.id, What.INCIDENT_DECLARED, late))
            == 1
        )
        early = late - timedelta(hours=1)
        assert await u.incidents.append_evidence(_record(incident.id, What.ROOM_OPENED, early)) == 2
        await u.commit()
    async with uow() as u:
        lines = await u.incidents.evidence_lines(incident.id)
    entries = [json.loads(line) for line in lines]
    assert [e["what"] for e in entries] == ["incident declared", "room opened"]
    assert entries[1]["when"] == entries[0]["when"]
    assert all(b"ghp_" not in line for line in lines)
    previous = GENESIS
    for seq, entry in enumerate(entries, start=1):
        body = {k: v for k, v in entry.items() if k not in RESERVED}
        sealed = seal(body, seq, previous)
        assert sealed.line == lines[seq - 1]
        previous = sealed.hash


async def test_checkpoints_list_by_size(uow: Uow) -> None:
    incident = _incident()
    await _declared(uow, incident)
    async with uow() as u:
        await u.incidents.add_checkpoint(incident.id, 3, "note three")
        await u.incidents.add_checkpoint(incident.id, 1, "note one")
        await u.commit()
    async with uow() as u:
        assert await u.incidents.checkpoints(incident.id) == [(1, "note one"), (3, "note three")]


async def test_leases_have_one_live_holder_and_lapse(uow: Uow) -> None:
    """A lease of no length lapses at once, on any clock (PostgreSQL reads its own)."""
    incident = _incident()
    await _declared(uow, incident)
    now, lapsing = datetime.now(UTC), "l" * 64
    async with uow() as u:
        assert await u.incidents.add_request(_request(incident.id))
        assert await u.incidents.add_request(_request(incident.id, lapsing))
        assert await u.incidents.take_lease(KEY, "a", 30, now) is not None
        assert await u.incidents.take_lease(KEY, "b", 30, now) is None
        assert await u.incidents.renew_lease(KEY, "b", 30, now) is None
        assert await u.incidents.take_lease(lapsing, "a", 0, now) is not None
        await u.commit()
    async with uow() as u:
        abandoned = await u.incidents.abandoned(now, older_than_s=3600)
        assert [r.idempotency_key for r in abandoned] == [lapsing]
        assert await u.incidents.take_lease(lapsing, "b", 30, now) is not None
        failed = replace(_request(incident.id, lapsing), status=RequestStatus.FAILED)
        assert not await u.incidents.settle_abandoned(failed, now, 3600)
        await u.commit()


async def test_a_rearmed_stall_fences_out_the_old_timer_and_fires_once(uow: Uow) -> None:
    incident = _incident()
    await _declared(uow, incident)
    now = datetime.now(UTC)
    past, future = now - timedelta(minutes=5), now + timedelta(hours=1)
    kind = StallKind.COMMANDER_NOT_ACKNOWLEDGED
    async with uow() as u:
        first = await u.timers.arm(incident.id, kind, "commander", past, past)
        second = await u.timers.arm(incident.id, kind, "commander", past, past)
        later = await u.timers.arm(incident.id, StallKind.NO_STATUS_UPDATE, "x", now, future)
        await u.commit()
    assert second.generation == first.generation + 1
    async with uow() as u:
        assert await u.timers.due(now, 10) == [(second.id, incident.id)]
        assert await u.timers.claim(later.id, incident.id, now, "r1") is None  # not yet due
        fired = await u.timers.claim(second.id, incident.id, now, "r1")
        assert fired is not None and fired.fired_at is not None
        assert await u.timers.claim(second.id, incident.id, now, "r2") is None
        nxt = await u.timers.arm_next(fired, 1, future)
        await u.commit()
    assert (nxt.step, nxt.generation) == (1, second.generation)
    async with uow() as u:
        assert await u.timers.postpone(incident.id, kind, future + timedelta(hours=1)) == 1
        assert await u.timers.cancel(incident.id, StallKind.NO_STATUS_UPDATE) == 1
        [pending] = await u.timers.pending(incident.id)
        assert pending.due_at == future + timedelta(hours=1)
        await u.commit()


async def test_an_outbox_notice_is_claimed_until_sent_and_retried_when_stale(uow: Uow) -> None:
    incident = _incident()
    await _declared(uow, incident)
    now = datetime.now(UTC)
    soon, later = now + timedelta(minutes=2), now + timedelta(minutes=10)
    async with uow() as u:
        notice = await u.outbox.add(incident.id, {"text": "escalated"})
        await u.commit()
    async with uow() as u:
        claimed = await u.outbox.claim_unsent(soon, soon - timedelta(minutes=1), 10)
        assert claimed == [(notice, {"text": "escalated"})]
        assert await u.outbox.claim_unsent(soon, soon - timedelta(minutes=1), 10) == []
        await u.commit()
    async with uow() as u:
        assert await u.outbox.claim_unsent(later, later - timedelta(minutes=1), 10) == claimed
        await u.outbox.mark_sent(notice, later)
        await u.commit()
    async with uow() as u:
        assert await u.outbox.claim_unsent(later, later, 10) == []


async def test_a_transcript_key_is_taken_once_and_tells_where_the_room_stands(uow: Uow) -> None:
    incident = _incident()
    await _declared(uow, incident)
    said = MessageKey("1733600000.000001", What.CHANNEL_MESSAGE)
    reply = MessageKey("1733600000.000002", What.CHANNEL_MESSAGE)
    edit = MessageKey(said.message_id, What.CHANNEL_MESSAGE_EDITED, "1733600009.000000")
    async with uow() as u:
        assert await u.transcript.position(incident.id) == TranscriptPosition(None)
        assert await u.transcript.add(incident.id, said, 1, "")
        assert await u.transcript.add(incident.id, reply, 2, said.message_id)
        assert await u.transcript.add(incident.id, edit, 3, "")
        assert not await u.transcript.add(incident.id, said, 4, "")
        await u.commit()
    async with uow() as u:
        assert await u.transcript.find(incident.id, said) == 1
        assert await u.transcript.find(incident.id, edit) == 3
        assert await u.transcript.find("INC-20261201-0099", said) is None
        where = await u.transcript.position(incident.id)
    assert where == TranscriptPosition(reply.message_id, (said.message_id,))
    with pytest.raises(ValueError, match="not a transcript kind"):
        MessageKey("1", What.ROOM_OPENED)
