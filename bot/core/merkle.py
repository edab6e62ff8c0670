"""RFC 6962 Merkle Tree Hash over the evidence entries, with its two proofs (stdlib only).

The checkpoint signs the root. An inclusion proof shows that one entry is
under a signed root without handing over the others; a consistency proof shows
that a smaller signed tree is a prefix of a larger one, which is what lets an
auditor who kept an earlier checkpoint tell an extended ledger from a
rewritten, forked or truncated one. Generation follows RFC 6962 section 2.1
(PATH and PROOF); verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2,
so the proofs are the ones Go's ``sumdb/tlog`` and Certificate Transparency
produce for the same leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
MAX_PROOF = 64  # a tree of up to 2**63 leaves needs no more hashes than this


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]): the empty tree hashes the empty string; otherwise split at the
    largest power of two smaller than n, as RFC 6962 section 2.1 defines."""
    return MerkleTree(leaf_hash(leaf) for leaf in leaves).root(len(leaves))


def prefix_roots(leaves: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """MTH(D[m]) for each requested m, in one pass over the leaves.

    Appending keeps the roots of the perfect subtrees (one per set bit of the
    size); the root of any prefix is those folded from the right. This is what
    makes checking every checkpoint of a long ledger linear, not quadratic.
    """
    wanted = set(sizes)
    roots = {0: hashlib.sha256(b"").digest()} if 0 in wanted else {}
    peaks: list[bytes] = []
    for count, leaf in enumerate(leaves, start=1):
        peaks.append(leaf_hash(leaf))
        merges = (count & -count).bit_length() - 1  # trailing zeros: perfect subtrees closed
        for _ in range(merges):
            right = peaks.pop()
            peaks.append(node_hash(peaks.pop(), right))
        if count in wanted:
            root = peaks[-1]
            for peak in reversed(peaks[:-1]):
                root = node_hash(peak, root)
            roots[count] = root
    return roots


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]): the sibling hashes from the leaf up to the root's child."""
    return MerkleTree(leaf_hash(leaf) for leaf in leaves).inclusion_proof(index, len(leaves))


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]): what proves the first ``old_size`` leaves are a prefix."""
    return MerkleTree(leaf_hash(leaf) for leaf in leaves).consistency_proof(old_size, len(leaves))


def verify_inclusion(
    leaf_digest: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` put the leaf hash at ``index`` under ``root``?"""
    if not 0 <= index < size or not _well_formed(proof):
        return False
    fn, sn, r = index, size - 1, leaf_digest
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree (old_size, old_root) a prefix of (new_size, new_root)?"""
    if not 0 <= old_size <= new_size or not _well_formed(proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def _well_formed(proof: Sequence[bytes]) -> bool:
    return len(proof) <= MAX_PROOF and all(len(p) == HASH_SIZE for p in proof)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """Every node of the tree over the leaves appended so far, kept level by level.

    Built in one pass (one leaf hash and, amortised, one node hash per leaf), it
    answers the root, an inclusion proof or a consistency proof of any prefix
    from stored nodes: O(log n) each, instead of rehashing the leaves per
    question. Nodes outside the stored perfect subtrees are computed by the
    RFC 6962 recursion itself, so every answer is the RFC's by construction.
    """

    def __init__(self, leaf_digests: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for digest in leaf_digests:
            self.append(digest)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf_digest: bytes) -> None:
        """Add a leaf hash; close every perfect subtree it completes."""
        levels, level = self._levels, 0
        levels[0].append(leaf_digest)
        while len(levels[level]) % 2 == 0:
            row = levels[level]
            if level + 1 == len(levels):
                levels.append([])
            levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1

    def root(self, size: int) -> bytes:
        """MTH(D[size]) of the first ``size`` leaves."""
        self._within(size)
        if not size:
            return hashlib.sha256(b"").digest()
        peaks, begin = [], 0  # the perfect subtrees of the prefix, one per set bit
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                peaks.append(self._levels[level][begin >> level])
                begin += 1 << level
        root = peaks.pop()
        while peaks:
            root = node_hash(peaks.pop(), root)
        return root

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size])."""
        self._within(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size}")
        return self._path(index, 0, size)

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]:
        """PROOF(old_size, D[size])."""
        self._within(size)
        if not 0 <= old_size <= size:
            raise ValueError(f"a tree of {size} has no prefix of {old_size}")
        if old_size in (0, size):
            return []
        return self._subproof(old_size, 0, size, True)

    def _within(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError(f"the tree holds {self.size} leaves, not {size}")

    def _subtree(self, begin: int, end: int) -> bytes:
        """MTH(D[begin:end]); a stored node when the range is an aligned perfect subtree."""
        width = end - begin
        if width & (width - 1) == 0 and begin % width == 0:
            return self._levels[width.bit_length() - 1][begin // width]
        k = _split(width)
        return node_hash(self._subtree(begin, begin + k), self._subtree(begin + k, end))

    def _path(self, index: int, begin: int, end: int) -> list[bytes]:
        if end - begin == 1:
            return []
        k = _split(end - begin)
        if index < k:
            return [*self._path(index, begin, begin + k), self._subtree(begin + k, end)]
        return [*self._path(index - k, begin + k, end), self._subtree(begin, begin + k)]

    def _subproof(self, m: int, begin: int, end: int, whole: bool) -> list[bytes]:
        if m == end - begin:
            return [] if whole else [self._subtree(begin, end)]
        k = _split(end - begin)
        if m <= k:
            return [*self._subproof(m, begin, begin + k, whole), self._subtree(begin + k, end)]
        return [*self._subproof(m - k, begin + k, end, False), self._subtree(begin, begin + k)]
