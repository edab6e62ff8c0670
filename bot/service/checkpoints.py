"""Signing a checkpoint over an incident's ledger, and never over a rewritten one.

Before it signs, the signer recomputes the Merkle root of the stored entries up
to the last signed size and checks the stored note's signature. Someone who can
write to the database but does not hold the key could otherwise rewrite entries,
recompute their hashes, and have Blastwall sign the forgery.

A refusal writes nothing to the ledger: an alarm entry appended after a
rewritten history would itself need a checkpoint over that history. The alarm
goes out of band instead: an ERROR log line, the ``blastwall_checkpoint_refusals``
counter on ``/metrics``, and a message in the incident's channel (posted by
``bot.evidence.anchoring`` after the transaction, so the state change it rode on commits).
"""

from __future__ import annotations

import logging
from typing import Protocol

from prometheus_client import Counter

from bot.core.merkle import merkle_root
from bot.core.ports import CheckpointSigner, IncidentStore

log = logging.getLogger(__name__)

REFUSALS = Counter(
    "blastwall_checkpoint_refusals",
    "Checkpoints not signed because the stored ledger no longer matches a signed one",
    registry=None,  # served by /metrics alongside the per-request snapshot
)


_alarmed: set[tuple[str, int, str]] = set()


class NoteVerifier(Protocol):
    def verify(self, note: str) -> tuple[int, bytes]: ...


class HistoryRewritten(Exception):
    """The stored entries no longer match a checkpoint Blastwall signed."""

    def __init__(self, incident_id: str, size: int, note: str, reason: str) -> None:
        super().__init__(
            f"refusing to sign {incident_id}: the first {size} stored entries {reason}; "
            "the ledger was changed after it was signed"
        )
        self.incident_id = incident_id
        self.size = size
        self.note = note


def check_history(
    signer: NoteVerifier,
    incident_id: str,
    lines: list[bytes],
    signed: list[tuple[int, str]],
) -> None:
    """Raise HistoryRewritten unless the last signed checkpoint still holds over ``lines``."""
    if not signed:
        return
    size, note = signed[-1]
    try:
        signed_size, root = signer.verify(note)
    except Exception as exc:
        reason = f"carry a note that does not verify ({exc})"
        raise HistoryRewritten(incident_id, size, note, reason) from exc
    if signed_size != size or size > len(lines):
        raise HistoryRewritten(
            incident_id, size, note, f"are {len(lines)} entries, fewer than signed"
        )
    if merkle_root(lines[:size]) != root:
        raise HistoryRewritten(incident_id, size, note, "no longer hash to the signed root")


def raise_alarm(exc: HistoryRewritten) -> bool:
    """Log and count a refusal; True the first time this process sees it, so the
    periodic pass raises one alarm per rewrite rather than one every few seconds."""
    seen = (exc.incident_id, exc.size, exc.note)
    first = seen not in _alarmed
    if first:
        _alarmed.add(seen)
        log.error("%s", exc)
        REFUSALS.inc()
    return first


async def sign_checkpoint(store: IncidentStore, signer: CheckpointSigner, incident_id: str) -> str:
    """Sign (incident, size, Merkle root) unless the latest checkpoint already covers it;
    returns the newest note. Raises HistoryRewritten (and writes nothing) on a rewrite."""
    lines = list(await store.evidence_lines(incident_id))
    signed = list(await store.checkpoints(incident_id))
    check_history(signer, incident_id, lines, signed)
    if signed and signed[-1][0] == len(lines):
        return signed[-1][1]
    note = signer.sign(incident_id, len(lines), merkle_root(lines))
    await store.add_checkpoint(incident_id, len(lines), note)
    return note


async def checkpoint(store: IncidentStore, signer: CheckpointSigner, incident_id: str) -> int:
    """The in-transaction checkpoint of a state change (an action settled, a close).

    Runs inside the caller's transaction, so the checkpoint commits with the
    entries it covers. A rewritten ledger is not signed but never blocks the
    change itself: containment must still be recorded. Returns the entry count.
    """
    try:
        await sign_checkpoint(store, signer, incident_id)
    except HistoryRewritten as exc:
        raise_alarm(exc)
    return len(await store.evidence_lines(incident_id))
