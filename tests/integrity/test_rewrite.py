"""Never sign a rewritten history (issue 9, section 1).

Someone with write access to the database but not the key rewrites the
ledger and recomputes every hash. The running service must refuse to sign
over it and raise the alarm (log, metric, channel), and the CLI export must
refuse to bundle it.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.app import build, create_app
from bot.config import Settings
from bot.core.actors import Actor
from bot.core.commands import ChangeStatus
from bot.core.incidents import Status
from tests.integrity.conftest import ORIGIN, Deployment, deploy
from tests.integrity.tampering import rewrite_history


async def _refusals(deployment: Deployment) -> float:
    settings = Settings(
        database_url=deployment.database_url, signing_key=deployment.key_path, origin=ORIGIN
    )
    app = create_app(build(settings, environ={}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://blastwall.test"
    ) as client:
        metrics = (await client.get("/metrics")).text
    line = next(m for m in metrics.splitlines() if m.startswith("blastwall_checkpoint_refusals_"))
    return float(line.split()[-1])


@pytest.mark.db
async def test_a_rewritten_ledger_is_never_signed_and_raises_the_alarm(
    deployment: Deployment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    incident = await deployment.declare("Leaked key")
    await deployment.anchoring.run()
    early = deployment.cli("evidence", "export", incident, "-o", "early.zip")
    assert early.returncode == 0, early.stderr
    refusals_before = await _refusals(deployment)

    await rewrite_history(deployment.database_url, incident, "Nothing happened")
    commander = await _commander(deployment, incident)
    with caplog.at_level(logging.ERROR, logger="bot.service.checkpoints"):
        for status in (Status.RESOLVED, Status.CLOSED):  # closing signs in its transaction
            changed = await deployment.bus.handle(
                ChangeStatus(commander, status, incident_id=incident, reason="done")
            )
            names = [type(e).__name__ for e in changed]
            assert names == ["StatusChanged", "ReviewWritten"]  # not blocked
        await deployment.anchoring.run()
        await deployment.anchoring.run()  # the next pass: refused again, alarmed once

    alarms = [t for t in deployment.said(incident) if t.startswith("EVIDENCE ALARM")]
    assert len(alarms) == 1 and "refusing to sign" in alarms[0]
    assert [r.levelname for r in caplog.records if "refusing to sign" in r.message] == ["ERROR"]
    assert await _refusals(deployment) == refusals_before + 1

    refused = deployment.cli("evidence", "export", incident, "-o", "forged.zip")
    assert refused.returncode == 1
    assert (
        "EVIDENCE ALARM" in refused.stderr and "no longer hash to the signed root" in refused.stderr
    )
    assert not (tmp_path / "forged.zip").exists()
    signed_sizes = await _signed_sizes(deployment, incident)
    assert signed_sizes == [signed_sizes[0]]  # nothing signed since the rewrite


async def _commander(deployment: Deployment, incident_id: str) -> Actor:
    async with deployment.database.uow() as uow:
        found = await uow.incidents.get(incident_id)
    assert found is not None and found.commander is not None
    return found.commander


async def _signed_sizes(deployment: Deployment, incident: str) -> list[int]:
    async with deployment.database.uow() as uow:
        return [size for size, _ in await uow.incidents.checkpoints(incident)]


async def test_insert_or_replace_cannot_overwrite_evidence(tmp_path: Path) -> None:
    """SQLite only: REPLACE deletes the old row without firing DELETE triggers."""
    deployment = await deploy(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", None)
    try:
        await _replace_is_refused(deployment)
    finally:
        await deployment.database.dispose()


async def _replace_is_refused(deployment: Deployment) -> None:
    incident = await deployment.declare()
    await deployment.anchoring.run()
    path = make_url(deployment.database_url).database
    assert path is not None
    with sqlite3.connect(path) as raw:
        entry = raw.execute(
            "SELECT seq, prev_hash, hash, line, recorded_at FROM evidence_entries "
            "WHERE incident_id = ? AND seq = 1",
            (incident,),
        ).fetchone()
        note = raw.execute(
            "SELECT size, note, created_at FROM checkpoints WHERE incident_id = ?", (incident,)
        ).fetchone()
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(
                "INSERT OR REPLACE INTO evidence_entries "
                "(incident_id, seq, prev_hash, hash, line, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                (incident, 1, entry[1], "f" * 64, '{"forged":true}', entry[4]),
            )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(
                "REPLACE INTO checkpoints (incident_id, size, note, created_at) "
                "VALUES (?, ?, ?, ?)",
                (incident, note[0], "forged", note[2]),
            )
        kept = raw.execute(
            "SELECT line FROM evidence_entries WHERE incident_id = ? AND seq = 1", (incident,)
        ).fetchone()
        kept_note = raw.execute(
            "SELECT note FROM checkpoints WHERE incident_id = ?", (incident,)
        ).fetchone()
    assert kept[0] == entry[3] and kept_note[0] == note[1]


async def test_a_changed_origin_is_not_mistaken_for_a_rewrite(
    tmp_path: Path, database_url: str
) -> None:
    first = await deploy(tmp_path, database_url, None, origin="old.example.test")
    try:
        incident = await first.declare()
        await first.anchoring.run()
    finally:
        await first.database.dispose()
    second = await deploy(tmp_path, database_url, None, origin="new.example.test")
    try:
        refused = ChangeStatus(Actor.parse("console:mallory"), Status.CLOSED, incident_id=incident)
        await second.bus.handle(refused)
        await second.anchoring.run()
        notes = await _notes(second, incident)
    finally:
        await second.database.dispose()
    assert [n.split("/", 1)[0] for n in notes] == ["old.example.test", "new.example.test"]
    assert not [t for t in second.said(incident) if t.startswith("EVIDENCE ALARM")]


async def _notes(deployment: Deployment, incident: str) -> list[str]:
    async with deployment.database.uow() as uow:
        return [note for _, note in await uow.incidents.checkpoints(incident)]
