"""Exporting one incident's evidence as a bundle an auditor verifies offline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.checkpoints import checkpoint
from bot.config import Settings
from bot.core.ports import CheckpointSigner, UnitOfWork
from bot.evidence.bundle import write_bundle
from bot.evidence.notes import NoteSigner
from bot.evidence.report import render_report
from bot.evidence.signing import load_or_create_signing_key, public_key_pem, redaction_key
from bot.secrets import build_redactor
from bot.storage.database import default_database_url
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import Database


class ExportError(Exception):
    pass


async def write_incident_bundle(
    uow_factory: Callable[[], UnitOfWork],
    signer: CheckpointSigner,
    public_pem: bytes,
    incident_id: str,
    output: Path,
) -> int:
    """Write the bundle; signs a fresh checkpoint first when entries were added since."""
    async with uow_factory() as uow:
        if await uow.incidents.get(incident_id, for_update=True) is None:
            raise ExportError(f"no incident {incident_id} in this database")
        await checkpoint(uow.incidents, signer, incident_id)
        lines = list(await uow.incidents.evidence_lines(incident_id))
        notes = [note for _, note in await uow.incidents.checkpoints(incident_id)]
        await uow.commit()
    write_bundle(output, incident_id, lines, notes, public_pem, render_report(incident_id, lines))
    return len(lines)


async def export_incident(settings: Settings, incident_id: str, output: Path) -> int:
    """The CLI's export: opens the configured database itself."""
    key = load_or_create_signing_key(settings.signing_key_path())
    url = settings.database_url or default_database_url()
    await upgrade(url)
    database = Database(url, redact=build_redactor(redaction_key(key)).redact_body)
    try:
        return await write_incident_bundle(
            database.uow, NoteSigner(key), public_key_pem(key), incident_id, output
        )
    finally:
        await database.dispose()
