"""Appending to the evidence ledger: the head kept in the unit of work, entries written in bulk.

An incident's head (``ledger_heads``) is read once per transaction, and trusted
only if its ``last_hash`` is the last stored entry's; otherwise (no head yet, or
entries written without it) the chain goes on from the last stored entry and
the next checkpoint rebuilds the head from the entries. Entries and the moved
head are written together when the transaction commits (or before anything
reads the ledger), as one multi-row INSERT: the database guards see every row,
the primary key on (incident, seq) still turns a racing writer into an error,
and the head is moved by a compare-and-set on its size.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.compact_range import CompactRange
from bot.core.evidence import EvidenceRecord
from bot.core.ledger import LedgerHead
from bot.core.merkle import HASH_SIZE
from bot.core.ports import Clock
from bot.evidence.chain import seal
from bot.storage.models import EvidenceEntryRow, LedgerHeadRow

ENTRIES = cast(Table, EvidenceEntryRow.__table__)  # Core: one multi-row INSERT, no ORM flush
Redact = Callable[[dict[str, object]], dict[str, object]]


class LedgerHeadMoved(Exception):
    """Another transaction moved the head under this one: nothing is written."""


@dataclass
class _Tip:
    head: LedgerHead
    trusted: bool  # the head's frontier agrees with the stored entries
    stored_size: int | None  # the size in the head row as read; None: no row
    dirty: bool = False


class SqlLedger:
    def __init__(self, session: AsyncSession, redact: Redact, clock: Clock) -> None:
        self._session = session
        self._redact = redact
        self._clock = clock
        self._tips: dict[str, _Tip] = {}
        self._rows: list[dict[str, Any]] = []

    async def append(self, record: EvidenceRecord) -> int:
        """Chain after the incident's last entry, settling its time under the caller's lock:
        never earlier than the previous entry's, whatever the writer's clock read."""
        tip = await self._tip(record.incident_id)
        head = tip.head
        plain = record.as_body()
        if str(plain["when"]) < head.last_when:  # fixed-width UTC: text order is time order
            plain["when"] = head.last_when
        body = self._redact(plain)
        seq = head.size + 1
        sealed = seal(body, seq, head.last_hash)
        self._rows.append(
            {
                "incident_id": record.incident_id,
                "seq": seq,
                "prev_hash": head.last_hash,
                "hash": sealed.hash,
                "line": sealed.line.decode("utf-8"),
                "recorded_at": self._clock.now(),
            }
        )
        head.appended(sealed.line, sealed.hash, str(body["when"]))
        tip.dirty = True
        return seq

    async def head(self, incident_id: str) -> LedgerHead | None:
        tip = await self._tip(incident_id)
        return tip.head if tip.trusted else None

    async def keep(self, head: LedgerHead) -> None:
        tip = await self._tip(head.incident_id)
        tip.head, tip.trusted, tip.dirty = head, True, True

    async def flush(self) -> None:
        """Write the buffered entries, then the heads they moved."""
        if self._rows:
            rows, self._rows = self._rows, []
            await self._session.execute(insert(ENTRIES), rows)
        for tip in self._tips.values():
            if tip.dirty and tip.trusted:
                await self._write_head(tip)
            tip.dirty = False

    def forget(self) -> None:
        """The transaction ended: the next one reads the heads again, under its own lock."""
        self._tips.clear()
        self._rows.clear()

    async def _tip(self, incident_id: str) -> _Tip:
        if incident_id not in self._tips:
            self._tips[incident_id] = await self._load(incident_id)
        return self._tips[incident_id]

    async def _load(self, incident_id: str) -> _Tip:
        row = await self._session.get(LedgerHeadRow, incident_id, populate_existing=True)
        last = (
            await self._session.execute(
                select(EvidenceEntryRow.seq, EvidenceEntryRow.hash)
                .where(EvidenceEntryRow.incident_id == incident_id)
                .order_by(EvidenceEntryRow.seq.desc())
                .limit(1)
            )
        ).first()
        stored = row.size if row is not None else None
        if row is not None and last is not None and (row.size, row.last_hash) == tuple(last):
            try:
                return _Tip(_head_of(row), True, stored)
            except ValueError:  # a frontier that does not fit its sizes: rebuilt later
                pass
        if last is None:  # a new ledger: the head starts empty
            return _Tip(LedgerHead(incident_id), row is None, stored)
        return _Tip(await self._behind(incident_id, int(last[0]), str(last[1])), False, stored)

    async def _behind(self, incident_id: str, seq: int, digest: str) -> LedgerHead:
        """No usable head: go on from the last stored entry; the frontier is rebuilt later."""
        line = (
            await self._session.execute(
                select(EvidenceEntryRow.line).where(
                    EvidenceEntryRow.incident_id == incident_id, EvidenceEntryRow.seq == seq
                )
            )
        ).scalar_one()
        when = str(json.loads(line)["when"])
        return LedgerHead(incident_id, seq, digest, when, pending=CompactRange(seq, seq))

    async def _write_head(self, tip: _Tip) -> None:
        head, now = tip.head, self._clock.now()
        values = {
            "size": head.size,
            "last_hash": head.last_hash,
            "last_when": head.last_when,
            "signed_size": head.signed_size,
            "signed": b"".join(head.signed.hashes),
            "pending": b"".join(head.pending.hashes),
            "updated_at": now,
        }
        if tip.stored_size is None:
            await self._session.execute(
                insert(LedgerHeadRow).values(incident_id=head.incident_id, **values)
            )
        else:
            moved = await self._session.execute(
                update(LedgerHeadRow)
                .where(
                    LedgerHeadRow.incident_id == head.incident_id,
                    LedgerHeadRow.size == tip.stored_size,
                )
                .values(**values)
            )
            if int(getattr(moved, "rowcount", 0) or 0) != 1:
                raise LedgerHeadMoved(f"the ledger head of {head.incident_id} moved underneath")
        tip.stored_size = head.size


def _head_of(row: LedgerHeadRow) -> LedgerHead:
    return LedgerHead(
        row.incident_id,
        row.size,
        row.last_hash,
        row.last_when,
        CompactRange.of(0, row.signed_size, _split(row.signed)),
        CompactRange.of(row.signed_size, row.size, _split(row.pending)),
    )


def _split(blob: bytes) -> list[bytes]:
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
