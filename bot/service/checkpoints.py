"""Signing a checkpoint over an incident's ledger, and never over a rewritten one.

Someone who can write to the database but does not hold the key could
otherwise rewrite entries, recompute their hashes, and have Blastwall sign the
forgery. The signer reads the ledger's head (``bot.core.ledger``), not the
entries: it checks the head's signed frontier against the root in the last
signed note, and signs that frontier extended by the entries since, so the new
tree always extends the one signed before. When the head is missing, behind
the entries (its chain hash is not the last stored entry's, which is what a
rewrite that recomputes the hashes leaves) or does not match the note, the
signer falls back to the stored entries: it recomputes their Merkle root up to
the last signed size, refuses on a mismatch, and otherwise rebuilds the head.

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

from bot.core.ledger import LedgerHead
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
    root = _signed_root(signer, incident_id, size, note)
    if size > len(lines):
        raise HistoryRewritten(
            incident_id, size, note, f"are {len(lines)} entries, fewer than signed"
        )
    if merkle_root(lines[:size]) != root:
        raise HistoryRewritten(incident_id, size, note, "no longer hash to the signed root")


def _signed_root(signer: NoteVerifier, incident_id: str, size: int, note: str) -> bytes:
    try:
        signed_size, root = signer.verify(note)
    except Exception as exc:
        reason = f"carry a note that does not verify ({exc})"
        raise HistoryRewritten(incident_id, size, note, reason) from exc
    if signed_size != size:
        raise HistoryRewritten(incident_id, size, note, "carry a note of another size")
    return root


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
    note, _ = await _sign(store, signer, incident_id)
    return note


async def _sign(
    store: IncidentStore, signer: CheckpointSigner, incident_id: str
) -> tuple[str, int]:
    last = await store.last_checkpoint(incident_id)
    head = await store.ledger_head(incident_id)
    if head is None or not _head_holds(signer, head, last):
        head = await _rebuilt_head(store, signer, incident_id, last)
    if last is not None and last[0] == head.size:
        return last[1], head.size
    frontier = head.frontier()
    note = signer.sign(incident_id, head.size, frontier.root())
    await store.add_checkpoint(incident_id, head.size, note)
    head.signed_through(frontier)
    await store.keep_ledger_head(head)
    return note, head.size


def _head_holds(signer: NoteVerifier, head: LedgerHead, last: tuple[int, str] | None) -> bool:
    """Does the head's signed frontier hash to the root the last note signed?"""
    if last is None:
        return head.signed_size == 0
    if head.signed_size != last[0]:
        return False
    try:
        return signer.verify(last[1]) == (last[0], head.signed.root())
    except Exception:  # the note itself is checked, and refused, on the way through the entries
        return False


async def _rebuilt_head(
    store: IncidentStore, signer: NoteVerifier, incident_id: str, last: tuple[int, str] | None
) -> LedgerHead:
    """The head recomputed from the stored entries, after checking them against the note."""
    lines = list(await store.evidence_lines(incident_id))
    signed_size = 0
    if last is not None:
        signed_size, note = last
        root = _signed_root(signer, incident_id, signed_size, note)
        if signed_size > len(lines):
            reason = f"are {len(lines)} entries, fewer than signed"
            raise HistoryRewritten(incident_id, signed_size, note, reason)
    head = LedgerHead.of_lines(incident_id, lines, signed_size)
    if last is not None and head.signed.root() != root:
        raise HistoryRewritten(
            incident_id, signed_size, last[1], "no longer hash to the signed root"
        )
    await store.keep_ledger_head(head)
    return head


async def checkpoint(store: IncidentStore, signer: CheckpointSigner, incident_id: str) -> int:
    """The in-transaction checkpoint of a state change (an action settled, a close).

    Runs inside the caller's transaction, so the checkpoint commits with the
    entries it covers. A rewritten ledger is not signed but never blocks the
    change itself: containment must still be recorded. Returns the entry count.
    """
    try:
        return (await _sign(store, signer, incident_id))[1]
    except HistoryRewritten as exc:
        raise_alarm(exc)
        return len(await store.evidence_lines(incident_id))
