"""Exporting one incident's evidence as a bundle an auditor verifies offline.

Export only reads. It never creates a database or a key, never migrates and
never signs: an export run in the wrong directory, or with the wrong key, must
fail rather than append a checkpoint signed by a stranger to the real ledger.
The bundle holds the entries the last signed checkpoint covers (the running
service signs new entries within ``BLASTWALL_ANCHOR_INTERVAL``), each
checkpoint's RFC 3161 token where one was obtained, and the public key.
The same entries, after the same check, can be written as CSV or as OCSF
events instead (``FORMATS``): reading copies for other tools, not evidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.core.ports import CheckpointSigner, UnitOfWork
from bot.evidence.bundle import TIMESTAMP_DIR, write_bundle
from bot.evidence.csv_export import entries_csv
from bot.evidence.notes import verify_checkpoint
from bot.evidence.ocsf_export import entries_ocsf
from bot.evidence.report import render_report
from bot.evidence.review_check import ReviewMismatch, review_for_bundle
from bot.evidence.signing import public_key_pem
from bot.service.checkpoints import HistoryRewritten, check_history, raise_alarm, sign_checkpoint

FORMATS = ("bundle", "csv", "ocsf")
Redact = Callable[[dict[str, object]], dict[str, object]]


class ExportError(Exception):
    """The export cannot start: no database, no key, no such incident, nothing signed."""


class ExportRefused(ExportError):
    """The stored ledger no longer matches what was signed: nothing is exported."""


@dataclass(frozen=True)
class Exported:
    entries: int
    checkpoints: int
    timestamps: int
    unsigned: int  # entries newer than the last signed checkpoint, left out


class _KeyVerifier:
    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key

    def verify(self, note: str) -> tuple[int, bytes]:
        checkpoint = verify_checkpoint(note, self._key)
        return checkpoint.size, checkpoint.root_hash


async def export_incident(
    uow_factory: Callable[[], UnitOfWork],
    key: Ed25519PrivateKey,
    incident_id: str,
    output: Path,
    fmt: str = "bundle",
    redact: Redact | None = None,
) -> Exported:
    """The CLI's export, read-only: the database and key come from the composition
    root (``bot.app.export_evidence``); this builds nothing itself."""
    if fmt not in FORMATS:
        raise ExportError(f"no export format {fmt!r} (formats: {', '.join(FORMATS)})")
    async with uow_factory() as uow:
        lines, signed = await _signed(uow, key, incident_id)
        if fmt == "bundle":
            return await _write(uow, public_key_pem(key), incident_id, lines, signed, output)
    covered = lines[: signed[-1][0]]
    shaped = (
        entries_csv(covered, redact) if fmt == "csv" else entries_ocsf(incident_id, covered, redact)
    )
    await asyncio.to_thread(output.write_bytes, shaped.encode("utf-8"))
    return Exported(len(covered), len(signed), 0, len(lines) - len(covered))


async def _signed(
    uow: UnitOfWork, key: Ed25519PrivateKey, incident_id: str
) -> tuple[list[bytes], list[tuple[int, str]]]:
    """The stored entries and checkpoints, once the last checkpoint is shown to hold."""
    if await uow.incidents.get(incident_id) is None:
        raise ExportError(f"no incident {incident_id} in this database")
    lines = list(await uow.incidents.evidence_lines(incident_id))
    signed = list(await uow.incidents.checkpoints(incident_id))
    if not signed:
        raise ExportError(f"{incident_id} has no signed checkpoint yet; the service signs one soon")
    try:
        check_history(_KeyVerifier(key.public_key()), incident_id, lines, signed)
    except HistoryRewritten as exc:
        raise_alarm(exc)
        raise ExportRefused(str(exc)) from exc
    return lines, signed


async def _write(
    uow: UnitOfWork,
    pem: bytes,
    incident_id: str,
    lines: list[bytes],
    signed: list[tuple[int, str]],
    output: Path,
) -> Exported:
    size = signed[-1][0]
    covered = lines[:size]
    tokens = await _tokens(uow, incident_id, [s for s, _ in signed])
    report = render_report(incident_id, covered)
    members = {f"{TIMESTAMP_DIR}{i:06d}.tsr": token for i, token in tokens.items()}
    try:
        members |= review_for_bundle(incident_id, covered)
    except ReviewMismatch as exc:
        raise ExportError(f"the post-incident review cannot be rebuilt: {exc}") from exc
    notes = [n for _, n in signed]
    write_bundle(output, incident_id, covered, notes, pem, report, extra_files=members)
    return Exported(len(covered), len(signed), len(tokens), len(lines) - size)


async def _tokens(uow: UnitOfWork, incident_id: str, sizes: list[int]) -> dict[int, bytes]:
    """Checkpoint index (from 1) -> the first RFC 3161 token obtained for it."""
    anchors = getattr(uow, "anchors", None)  # the SQL unit of work keeps anchors
    if anchors is None:
        return {}
    by_size: dict[int, bytes] = {}
    for anchor in await anchors.of(incident_id):
        if anchor.kind == "rfc3161" and anchor.token is not None:
            by_size.setdefault(anchor.size, anchor.token)
    return {i: by_size[s] for i, s in enumerate(sizes, start=1) if s in by_size}


async def write_incident_bundle(
    uow_factory: Callable[[], UnitOfWork],
    signer: CheckpointSigner,
    public_pem: bytes,
    incident_id: str,
    output: Path,
) -> Exported:
    """The running service's export (the console): it holds the key, so it signs a
    fresh checkpoint first, after the same check that the ledger was not rewritten."""
    async with uow_factory() as uow:
        if await uow.incidents.get(incident_id, for_update=True) is None:
            raise ExportError(f"no incident {incident_id} in this database")
        try:
            await sign_checkpoint(uow.incidents, signer, incident_id)
        except HistoryRewritten as exc:
            raise_alarm(exc)
            raise ExportRefused(str(exc)) from exc
        lines = list(await uow.incidents.evidence_lines(incident_id))
        signed = list(await uow.incidents.checkpoints(incident_id))
        await uow.commit()
        return await _write(uow, public_pem, incident_id, lines, signed, output)
