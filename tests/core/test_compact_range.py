"""The compact range kept with a ledger's head gives the RFC 6962 roots, however it is split."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.compact_range import CompactRange, levels
from bot.core.merkle import MerkleTree, leaf_hash, merkle_root
from tests.core.test_merkle import LEAVES, ROOTS

leaves = st.lists(st.binary(max_size=4), max_size=70)


def test_the_frontier_gives_the_reference_roots() -> None:
    frontier = CompactRange()
    assert frontier.root().hex() == ROOTS[0]
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append_leaf(leaf)
        assert frontier.root().hex() == ROOTS[size]


@settings(max_examples=200, deadline=None)
@given(leaves, st.data())
def test_a_signed_frontier_extended_by_the_range_since_is_the_whole_tree(
    data_leaves: list[bytes], data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(data_leaves)))
    signed, pending = CompactRange(), CompactRange(split, split)
    for leaf in data_leaves[:split]:
        signed.append_leaf(leaf)
    for leaf in data_leaves[split:]:
        pending.append_leaf(leaf)
    assert signed.root() == merkle_root(data_leaves[:split])
    stored = CompactRange.of(pending.begin, pending.end, pending.hashes)  # as read back
    whole = signed.copy()
    whole.extend(stored)
    assert whole.root() == merkle_root(data_leaves)
    assert whole.root() == MerkleTree(leaf_hash(x) for x in data_leaves).root(len(data_leaves))
    assert len(pending.hashes) == len(levels(split, len(data_leaves)))


def test_hashes_that_do_not_fit_the_range_are_refused() -> None:
    with pytest.raises(ValueError, match="do not cover"):
        CompactRange.of(0, 3, [bytes(32)])  # three leaves need two subtrees
    with pytest.raises(ValueError, match="SHA-256"):
        CompactRange.of(0, 1, [b"short"])
    with pytest.raises(ValueError, match="cannot follow"):
        CompactRange().extend(CompactRange(2, 2))
    with pytest.raises(ValueError, match="only a range from the first leaf"):
        CompactRange(1, 1).root()
