"""RFC 6962 Merkle Tree Hash over the evidence entries (stdlib only).

The checkpoint signs this root, so an auditor holding any earlier checkpoint
can tell whether the ledger they are shown is the one that was signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


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


def _subtree(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_subtree(hashes[:split]), _subtree(hashes[split:]))
