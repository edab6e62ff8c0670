"""Where an incident's ledger stands: its last entry and its Merkle frontier.

The head is kept beside the entries so that appending and signing never read
the entries back. The frontier is kept in two parts: ``signed``, the frontier
of the tree the last checkpoint signed, and ``pending``, the compact range of
the entries since. Before signing, ``signed`` is checked against the root in
the last signed note; the new tree is ``signed`` extended by ``pending``, so
whatever else changed in the database, Blastwall only ever signs an extension
of what it signed before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.compact_range import CompactRange

GENESIS = "0" * 64  # the ``prev_hash`` of an incident's first entry


@dataclass
class LedgerHead:
    incident_id: str
    size: int = 0
    last_hash: str = GENESIS
    last_when: str = ""  # the ``when`` of the last entry; later entries never go before it
    signed: CompactRange = field(default_factory=CompactRange)
    pending: CompactRange = field(default_factory=CompactRange)

    @classmethod
    def of_lines(cls, incident_id: str, lines: Sequence[bytes], signed_size: int) -> LedgerHead:
        """Rebuilt from the stored entries: once, for a ledger kept before heads were."""
        if not 0 <= signed_size <= len(lines):
            raise ValueError(f"{signed_size} entries signed but {len(lines)} stored")
        head = cls(incident_id, signed=CompactRange(), pending=CompactRange(0, 0))
        for line in lines[:signed_size]:
            head.signed.append_leaf(line)
        head.pending = CompactRange(signed_size, signed_size)
        for line in lines[signed_size:]:
            head.pending.append_leaf(line)
        if lines:
            last = json.loads(lines[-1])
            head.size, head.last_hash, head.last_when = len(lines), last["hash"], last["when"]
        return head

    @property
    def signed_size(self) -> int:
        return self.signed.end

    def appended(self, line: bytes, digest: str, when: str) -> None:
        """Account for the entry just chained after ``last_hash``."""
        self.pending.append_leaf(line)
        self.size, self.last_hash, self.last_when = self.size + 1, digest, when

    def frontier(self) -> CompactRange:
        """The frontier of the whole ledger: what the next checkpoint signs."""
        whole = self.signed.copy()
        whole.extend(self.pending)
        return whole

    def signed_through(self, frontier: CompactRange) -> None:
        """A checkpoint now covers every entry: the frontier becomes the signed part."""
        self.signed, self.pending = frontier, CompactRange(frontier.end, frontier.end)
