"""An RFC 6962 compact range: the few subtree hashes that stand for many leaves.

The leaves ``[begin, end)`` are covered by at most two per level of aligned
perfect subtrees; their hashes are all it takes to go on appending, or to
compute the root when ``begin`` is 0 (the range is then the tree's right
frontier). Keeping one with the ledger's head makes an append O(log n) (O(1)
amortised) and a checkpoint's root O(log n), with no entry read back. The
levels follow from ``begin`` and ``end``, so only the hashes are stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core import merkle


def levels(begin: int, end: int) -> list[int]:
    """The levels of the maximal aligned perfect subtrees covering ``[begin, end)``."""
    found, at = [], begin
    while at < end:
        fits = (end - at).bit_length() - 1
        aligned = (at & -at).bit_length() - 1 if at else fits
        found.append(min(fits, aligned))
        at += 1 << found[-1]
    return found


@dataclass
class CompactRange:
    begin: int = 0
    end: int = 0
    hashes: list[bytes] = field(default_factory=list)
    _levels: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, begin: int, end: int, hashes: Sequence[bytes]) -> CompactRange:
        """Rebuild a stored range; ValueError unless the hashes fit ``[begin, end)``."""
        shape = levels(begin, end)
        if not 0 <= begin <= end or len(hashes) != len(shape):
            raise ValueError(f"{len(hashes)} hashes do not cover the leaves {begin}..{end}")
        if any(len(h) != merkle.HASH_SIZE for h in hashes):
            raise ValueError("a compact range holds SHA-256 hashes only")
        return cls(begin, end, list(hashes), shape)

    def append_leaf(self, data: bytes) -> None:
        self.append_node(0, merkle.leaf_hash(data))

    def append_node(self, level: int, digest: bytes) -> None:
        """Add the perfect subtree of ``2**level`` leaves that starts at ``end``."""
        if self.end % (1 << level):
            raise ValueError(f"a subtree of level {level} cannot start at leaf {self.end}")
        self.hashes.append(digest)
        self._levels.append(level)
        self.end += 1 << level
        while len(self._levels) > 1 and self._levels[-1] == self._levels[-2]:
            top = self._levels[-1] + 1
            if self.end % (1 << top):
                break  # the left one's sibling lies before ``begin``
            right = self.hashes.pop()
            self.hashes[-1] = merkle.node_hash(self.hashes[-1], right)
            self._levels.pop()
            self._levels[-1] = top

    def extend(self, other: CompactRange) -> None:
        """Append the range that starts where this one ends."""
        if other.begin != self.end:
            raise ValueError(f"a range from leaf {other.begin} cannot follow one to {self.end}")
        for level, digest in zip(other._levels, other.hashes, strict=True):
            self.append_node(level, digest)

    def root(self) -> bytes:
        """MTH of the leaves ``[0, end)``: the frontier folded from the right."""
        if self.begin != 0:
            raise ValueError("only a range from the first leaf has a root")
        if not self.hashes:
            return hashlib.sha256(b"").digest()
        root = self.hashes[-1]
        for digest in reversed(self.hashes[:-1]):
            root = merkle.node_hash(digest, root)
        return root

    def copy(self) -> CompactRange:
        return CompactRange(self.begin, self.end, list(self.hashes), list(self._levels))
