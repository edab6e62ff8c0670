"""The per-incident hash chain.

An entry is its body plus ``seq`` (1, 2, 3, ... with no gaps) and ``prev_hash``
(the previous entry's ``hash``; 64 zeros for the first), and ``hash``, the
SHA-256 of the canonical JSON of everything else. The stored line is the
canonical JSON of the whole entry; those lines are also the Merkle leaves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from bot.core.ledger import GENESIS
from bot.evidence.canonical import canonical, canonical_with

RESERVED = ("seq", "prev_hash", "hash")
__all__ = ["GENESIS", "RESERVED", "Sealed", "entry_hash", "seal"]


@dataclass(frozen=True)
class Sealed:
    seq: int
    prev_hash: str
    hash: str
    line: bytes


def entry_hash(entry_without_hash: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(entry_without_hash)).hexdigest()


def seal(body: dict[str, Any], seq: int, prev_hash: str) -> Sealed:
    """Chain ``body`` after the entry whose hash is ``prev_hash``."""
    clash = [k for k in RESERVED if k in body]
    if clash:
        raise ValueError(f"evidence body may not set {', '.join(clash)}")
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    entry: dict[str, Any] = {**body, "seq": seq, "prev_hash": prev_hash}
    digest, line = canonical_with(entry, "hash", _sha256)
    return Sealed(seq=seq, prev_hash=prev_hash, hash=digest, line=line)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
