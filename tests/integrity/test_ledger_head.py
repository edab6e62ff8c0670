"""Appending and signing read no entry back (issue 17): the head keeps the Merkle frontier.

Signing checkpoint k after m new entries reads no stored entry line and does
O(m + log n) hashes; a ledger kept before heads were (no head row) is rebuilt
from its entries once, and signed correctly ever after.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, event

from bot.core import merkle
from bot.core.actors import Actor
from bot.core.commands import RecordDoorRefusal
from bot.evidence.signing import load_signing_key, public_key_pem
from bot.storage.models import LedgerHeadRow
from tests.integrity.conftest import Deployment

MALLORY = Actor("slack", "UMALLORY")


class Instruments:
    """Counts SELECTs of stored entry lines, and Merkle hashes."""

    def __init__(self, deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
        self.line_reads = 0
        self.hashes = 0
        event.listen(deployment.database.engine.sync_engine, "before_cursor_execute", self._sql)
        for name in ("leaf_hash", "node_hash"):
            real = getattr(merkle, name)
            monkeypatch.setattr(merkle, name, self._counting(real))

    def _counting(self, real: Any) -> Any:
        def counted(*args: bytes) -> bytes:
            self.hashes += 1
            return bytes(real(*args))

        return counted

    def _sql(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "evidence_entries.line" in statement:
            self.line_reads += 1

    def reset(self) -> None:
        self.line_reads = self.hashes = 0


async def _grow(deployment: Deployment, incident: str, entries: int) -> None:
    for n in range(entries):
        refused = RecordDoorRefusal(incident, MALLORY, f"attempt {n}", "slack")
        await deployment.bus.handle(refused)


async def _signed_size(deployment: Deployment, incident: str) -> int:
    async with deployment.database.uow() as uow:
        last = await uow.incidents.last_checkpoint(incident)
    assert last is not None
    return last[0]


def _exported_and_verified(deployment: Deployment, incident: str, name: str) -> None:
    exported = deployment.cli("evidence", "export", incident, "-o", name)
    assert exported.returncode == 0, exported.stderr
    public = deployment.workdir / "public.pem"
    public.write_bytes(public_key_pem(load_signing_key(deployment.key_path)))
    verified = deployment.cli("evidence", "verify", name, "--key", str(public))
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stdout


@pytest.mark.db
async def test_signing_reads_no_entry_and_hashes_only_what_is_new(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = await deployment.declare()
    await _grow(deployment, incident, 40)
    await deployment.anchoring.run()
    counted = Instruments(deployment, monkeypatch)

    new = 7
    await _grow(deployment, incident, new)
    await deployment.anchoring.run()

    size = await _signed_size(deployment, incident)
    assert size > 40 + new
    assert counted.line_reads == 0
    assert counted.hashes <= 2 * new + 3 * size.bit_length() + 2
    _exported_and_verified(deployment, incident, "frontier.zip")


@pytest.mark.db
async def test_a_ledger_without_a_head_is_rebuilt_from_its_entries_once(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = await deployment.declare()
    await _grow(deployment, incident, 12)
    await deployment.anchoring.run()
    async with deployment.database.engine.begin() as conn:  # as before migration 0010
        await conn.execute(delete(LedgerHeadRow).where(LedgerHeadRow.incident_id == incident))
    counted = Instruments(deployment, monkeypatch)

    await _grow(deployment, incident, 3)
    await deployment.anchoring.run()
    assert counted.line_reads > 0  # the entries, read back once to rebuild the head
    counted.reset()
    await _grow(deployment, incident, 3)
    await deployment.anchoring.run()

    assert counted.line_reads == 0
    assert await _signed_size(deployment, incident) > 12 + 6
    _exported_and_verified(deployment, incident, "rebuilt.zip")
