"""A database writer without the signing key rewriting an incident's history.

SQLite: drop the append-only triggers, as anyone with the file can.
PostgreSQL: ``SET session_replication_role = replica`` as the owner, which
skips triggers. Either way the hashes are recomputed so the chain looks whole.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.evidence.chain import GENESIS, seal
from bot.storage.database import make_engine
from bot.storage.models import EvidenceEntryRow

TRIGGERS = ("evidence_entries_no_update", "evidence_entries_no_replace")


async def rewrite_history(database_url: str, incident_id: str, new_title: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await _disable_guards(conn)
            rows = await conn.execute(
                select(EvidenceEntryRow.seq, EvidenceEntryRow.line)
                .where(EvidenceEntryRow.incident_id == incident_id)
                .order_by(EvidenceEntryRow.seq)
            )
            previous = GENESIS
            for seq, line in rows.all():
                body = _body(json.loads(line))
                if seq == 1:
                    body["after"] = {**body.get("after", {}), "title": new_title}
                sealed = seal(body, seq, previous)
                await conn.execute(
                    update(EvidenceEntryRow)
                    .where(EvidenceEntryRow.incident_id == incident_id, EvidenceEntryRow.seq == seq)
                    .values(prev_hash=previous, hash=sealed.hash, line=sealed.line.decode())
                )
                previous = sealed.hash
    finally:
        await engine.dispose()


async def _disable_guards(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SET session_replication_role = replica"))
        return
    for trigger in TRIGGERS:
        await conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))


def _body(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("seq", "prev_hash", "hash")}
