"""Signing a checkpoint over the whole of an incident's ledger as it stands."""

from __future__ import annotations

from bot.core.merkle import merkle_root
from bot.core.ports import CheckpointSigner, IncidentStore


async def checkpoint(store: IncidentStore, signer: CheckpointSigner, incident_id: str) -> int:
    """Sign (incident, size, Merkle root) unless the latest checkpoint already covers it.

    Runs inside the caller's transaction, so the checkpoint commits with the
    entries it covers. Returns the signed size.
    """
    lines = list(await store.evidence_lines(incident_id))
    signed = await store.checkpoints(incident_id)
    if signed and signed[-1][0] == len(lines):
        return len(lines)
    note = signer.sign(incident_id, len(lines), merkle_root(lines))
    await store.add_checkpoint(incident_id, len(lines), note)
    return len(lines)
