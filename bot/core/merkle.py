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
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _subtree([leaf_hash(leaf) for leaf in leaves])


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
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    return _path(index, [leaf_hash(leaf) for leaf in leaves])


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]): what proves the first ``old_size`` leaves are a prefix."""
    if not 0 <= old_size <= len(leaves):
        raise ValueError(f"a tree of {len(leaves)} has no prefix of {old_size}")
    if old_size in (0, len(leaves)):
        return []
    return _subproof(old_size, [leaf_hash(leaf) for leaf in leaves], True)


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


def _subtree(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_subtree(hashes[:k]), _subtree(hashes[k:]))


def _path(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    if len(hashes) == 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*_path(index, hashes[:k]), _subtree(hashes[k:])]
    return [*_path(index - k, hashes[k:]), _subtree(hashes[:k])]


def _subproof(m: int, hashes: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if whole else [_subtree(hashes)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, hashes[:k], whole), _subtree(hashes[k:])]
    return [*_subproof(m - k, hashes[k:], False), _subtree(hashes[:k])]
