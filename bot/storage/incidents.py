"""The SQL implementation of the IncidentStore port."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actions import ActionRequest, RequestStatus
from bot.core.approvals import Approval
from bot.core.evidence import EvidenceRecord
from bot.core.incidents import Incident, Status
from bot.core.ledger import LedgerHead
from bot.core.ports import Clock
from bot.storage import leases
from bot.storage.clock import database_now
from bot.storage.codec import (
    approval_from,
    approval_row,
    incident_from,
    incident_row,
    request_from,
    request_row,
    room_key,
)
from bot.storage.ledger import SqlLedger
from bot.storage.models import (
    ActionRequestRow,
    ApprovalRow,
    CheckpointRow,
    EvidenceEntryRow,
    IncidentCounterRow,
    IncidentIdentityRow,
    IncidentRow,
)

Redact = Callable[[dict[str, object]], dict[str, object]]
CLOSED = (Status.RESOLVED.value, Status.CLOSED.value)
DECLARE_LOCK_SPACE = 0x42570001  # advisory lock namespace: declaring about an identity


class SqlIncidentStore:
    def __init__(self, session: AsyncSession, redact: Redact, clock: Clock) -> None:
        self._session = session
        self._redact = redact
        self._clock = clock
        self._ledger = SqlLedger(session, redact, clock)

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def next_number(self, day: str) -> int:
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = (
            dialect_insert(IncidentCounterRow)
            .values(day=day, last=1)
            .on_conflict_do_update(
                index_elements=["day"], set_={"last": IncidentCounterRow.last + 1}
            )
            .returning(IncidentCounterRow.last)
        )
        return int((await self._session.execute(stmt)).scalar_one())

    async def add(self, incident: Incident) -> None:
        self._session.add(IncidentRow(**incident_row(incident, self._clock.now())))
        await self._session.flush()
        await self._sync_identities(incident)

    async def get(self, incident_id: str, *, for_update: bool = False) -> Incident | None:
        stmt = (
            select(IncidentRow)
            .where(IncidentRow.id == incident_id)
            .execution_options(populate_existing=True)  # as stored now, not as first loaded
        )
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return None if row is None else incident_from(row)

    async def save(self, incident: Incident) -> None:
        values = incident_row(incident, self._clock.now())
        del values["id"]
        await self._session.execute(
            update(IncidentRow).where(IncidentRow.id == incident.id).values(**values)
        )
        await self._sync_identities(incident)

    async def _sync_identities(self, incident: Incident) -> None:
        known = set(
            (
                await self._session.execute(
                    select(IncidentIdentityRow.identity_key).where(
                        IncidentIdentityRow.incident_id == incident.id
                    )
                )
            ).scalars()
        )
        wanted = {key for identity in incident.identities for key in identity.match_keys}
        for key in sorted(wanted - known):
            self._session.add(IncidentIdentityRow(incident_id=incident.id, identity_key=key))
        await self._session.flush()

    # --- declaration lock (issue 12 §2) ---
    async def lock_identities(self, keys: Sequence[str]) -> None:
        """A transaction-scoped advisory lock per key, in sorted order (no deadlock);
        SQLite needs none, its BEGIN IMMEDIATE already serialises every writer."""
        if self._dialect != "postgresql":
            return
        for key in sorted(set(keys)):
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                {"space": DECLARE_LOCK_SPACE, "key": key},
            )

    # --- end declaration lock ---

    async def find_open_with_identity(self, identity_key: str) -> Incident | None:
        stmt = (
            select(IncidentRow)
            .join(IncidentIdentityRow, IncidentIdentityRow.incident_id == IncidentRow.id)
            .where(
                IncidentIdentityRow.identity_key == identity_key, IncidentRow.status.not_in(CLOSED)
            )
            .order_by(IncidentRow.declared_at.desc())
            .limit(1)
        )
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return incident_from(row) if row else None

    async def find_by_room(self, platform: str, room_id: str) -> Incident | None:
        stmt = select(IncidentRow).where(IncidentRow.room_key == room_key(platform, room_id))
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return incident_from(row) if row else None

    async def list_incidents(self) -> Sequence[Incident]:
        rows = (
            await self._session.execute(
                select(IncidentRow).order_by(IncidentRow.declared_at.desc())
            )
        ).scalars()
        return [incident_from(r) for r in rows]

    async def add_request(self, request: ActionRequest) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(ActionRequestRow(**request_row(request, self._clock.now())))
        except IntegrityError:
            return False
        return True

    async def get_request(self, key: str) -> ActionRequest | None:
        row = await self._session.get(ActionRequestRow, key, populate_existing=True)
        return request_from(row) if row else None

    async def save_request(
        self, request: ActionRequest, *, expect: RequestStatus | None = None
    ) -> bool:
        """Write the request; with ``expect``, only if its stored status still is that
        (a compare-and-set, so two contradictory outcomes can never both land).
        A request that is no longer running gives up its call lease."""
        values = request_row(request, self._clock.now())
        key = values.pop("idempotency_key")
        if request.status is not RequestStatus.RUNNING:
            values.update(lease_owner=None, lease_expires_at=None)
        stmt = update(ActionRequestRow).where(ActionRequestRow.idempotency_key == key)
        if expect is not None:
            stmt = stmt.where(ActionRequestRow.status == expect.value)
        result = await self._session.execute(stmt.values(**values))
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def requests_for(self, incident_id: str) -> Sequence[ActionRequest]:
        rows = (
            await self._session.execute(
                select(ActionRequestRow)
                .where(ActionRequestRow.incident_id == incident_id)
                .order_by(ActionRequestRow.requested_at)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        return [request_from(r) for r in rows]

    async def add_approval(self, approval: Approval) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(ApprovalRow(**approval_row(approval)))
        except IntegrityError:
            return False
        return True

    async def approvals_for(self, request_key: str) -> list[Approval]:
        rows = await self._session.execute(
            select(ApprovalRow)
            .where(ApprovalRow.request_key == request_key)
            .order_by(ApprovalRow.decided_at)
        )
        return [approval_from(r) for r in rows.scalars()]

    async def abandoned(self, now: datetime, older_than_s: float) -> Sequence[ActionRequest]:
        db_now = await database_now(self._session, now)
        rows = await self._session.execute(
            select(ActionRequestRow)
            .where(leases.abandoned(db_now, older_than_s))
            .order_by(ActionRequestRow.requested_at)
        )
        return [request_from(r) for r in rows.scalars()]

    async def settle_abandoned(
        self, request: ActionRequest, now: datetime, older_than_s: float
    ) -> bool:
        """Record the reconciled outcome only if the intent is still abandoned right now."""
        db_now = await database_now(self._session, now)
        values = request_row(request, self._clock.now())
        key = values.pop("idempotency_key")
        values.update(lease_owner=None, lease_expires_at=None)
        result = await self._session.execute(
            update(ActionRequestRow)
            .where(
                ActionRequestRow.idempotency_key == key,
                leases.abandoned(db_now, older_than_s),
            )
            .values(**values)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def take_lease(
        self, key: str, owner: str, ttl_s: float, now: datetime
    ) -> datetime | None:
        db_now = await database_now(self._session, now)
        return await leases.take(self._session, key, owner, ttl_s, db_now)

    async def renew_lease(
        self, key: str, owner: str, ttl_s: float, now: datetime
    ) -> datetime | None:
        db_now = await database_now(self._session, now)
        return await leases.renew(self._session, key, owner, ttl_s, db_now)

    async def append_evidence(self, record: EvidenceRecord) -> int:
        """Chain after the incident's last entry (``bot.storage.ledger``); the caller holds
        the incident's lock, and the primary key on (incident, seq) still turns a racing
        writer into an error rather than a fork in the chain."""
        return await self._ledger.append(record)

    async def _head(self, incident_id: str) -> tuple[int, str, str] | None:
        last = (
            await self._session.execute(
                select(EvidenceEntryRow.seq, EvidenceEntryRow.hash, EvidenceEntryRow.line)
                .where(EvidenceEntryRow.incident_id == incident_id)
                .order_by(EvidenceEntryRow.seq.desc())
                .limit(1)
            )
        ).first()
        return None if last is None else (int(last[0]), str(last[1]), str(last[2]))

    async def evidence_lines(self, incident_id: str) -> Sequence[bytes]:
        await self._ledger.flush()
        rows = await self._session.execute(
            select(EvidenceEntryRow.line)
            .where(EvidenceEntryRow.incident_id == incident_id)
            .order_by(EvidenceEntryRow.seq)
        )
        return [line.encode("utf-8") for line in rows.scalars()]

    async def ledger_head(self, incident_id: str) -> LedgerHead | None:
        return await self._ledger.head(incident_id)

    async def keep_ledger_head(self, head: LedgerHead) -> None:
        await self._ledger.keep(head)

    async def flush_ledger(self) -> None:
        """Write what this transaction appended; the unit of work calls it before commit."""
        await self._ledger.flush()

    def forget_ledger(self) -> None:
        self._ledger.forget()

    async def add_checkpoint(self, incident_id: str, size: int, note: str) -> None:
        self._session.add(
            CheckpointRow(
                incident_id=incident_id, size=size, note=note, created_at=self._clock.now()
            )
        )
        await self._session.flush()

    async def last_checkpoint(self, incident_id: str) -> tuple[int, str] | None:
        row = (
            await self._session.execute(
                select(CheckpointRow.size, CheckpointRow.note)
                .where(CheckpointRow.incident_id == incident_id)
                .order_by(CheckpointRow.size.desc())
                .limit(1)
            )
        ).first()
        return (int(row[0]), str(row[1])) if row is not None else None

    async def checkpoints(self, incident_id: str) -> Sequence[tuple[int, str]]:
        rows = await self._session.execute(
            select(CheckpointRow.size, CheckpointRow.note)
            .where(CheckpointRow.incident_id == incident_id)
            .order_by(CheckpointRow.size)
        )
        return [(int(size), str(note)) for size, note in rows.all()]
