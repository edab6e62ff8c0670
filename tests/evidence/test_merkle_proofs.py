"""RFC 6962 inclusion and consistency proofs: reference vectors and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    prefix_roots,
    verify_consistency,
    verify_inclusion,
)
from tests.core.test_merkle import LEAVES

# The certificate-transparency reference proofs over the same eight leaves.
CONSISTENCY = {
    (1, 8): (
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ),
    (6, 8): (
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ),
    (2, 5): (
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ),
    (1, 1): (),
}
INCLUSION = {
    (0, 8): CONSISTENCY[(1, 8)],
    (5, 8): (
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ),
    (2, 3): ("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",),
    (1, 5): (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ),
}


@pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY))
def test_reference_consistency_proofs(old: int, new: int) -> None:
    proof = consistency_proof(LEAVES[:new], old)
    assert tuple(h.hex() for h in proof) == CONSISTENCY[(old, new)]
    old_root, new_root = merkle_root(LEAVES[:old]), merkle_root(LEAVES[:new])
    assert verify_consistency(old, new, old_root, new_root, proof)


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
def test_reference_inclusion_proofs(index: int, size: int) -> None:
    proof = inclusion_proof(LEAVES[:size], index)
    assert tuple(h.hex() for h in proof) == INCLUSION[(index, size)]
    root = merkle_root(LEAVES[:size])
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, root)


trees = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=200, deadline=None)
@given(trees, st.data())
def test_every_inclusion_proof_verifies_and_a_tampered_one_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    root, proof = merkle_root(leaves), inclusion_proof(leaves, index)
    digest = leaf_hash(leaves[index])
    assert verify_inclusion(digest, index, len(leaves), proof, root)
    assert not verify_inclusion(leaf_hash(leaves[index] + b"!"), index, len(leaves), proof, root)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bent = [*proof[:at], bytes(32), *proof[at + 1 :]]
        assert not verify_inclusion(digest, index, len(leaves), bent, root)
        assert not verify_inclusion(digest, index, len(leaves), proof[:-1], root)
    assert not verify_inclusion(digest, len(leaves), len(leaves), proof, root)


@settings(max_examples=200, deadline=None)
@given(trees, st.data())
def test_every_consistency_proof_verifies_and_a_rewrite_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    old = data.draw(st.integers(0, len(leaves)))
    proof = consistency_proof(leaves, old)
    old_root, new_root = merkle_root(leaves[:old]), merkle_root(leaves)
    assert verify_consistency(old, len(leaves), old_root, new_root, proof)
    if 0 < old:
        rewritten = [*leaves[: old - 1], leaves[old - 1] + b"!"]
        assert not verify_consistency(old, len(leaves), merkle_root(rewritten), new_root, proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bent = [*proof[:at], bytes(32), *proof[at + 1 :]]
        assert not verify_consistency(old, len(leaves), old_root, new_root, bent)
    if 0 < old < len(leaves):
        assert not verify_consistency(len(leaves), old, new_root, old_root, proof)
        assert not verify_consistency(old, len(leaves), old_root, new_root, [])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=4), max_size=80), st.lists(st.integers(0, 80), max_size=10))
def test_prefix_roots_are_the_roots_of_the_prefixes(leaves: list[bytes], sizes: list[int]) -> None:
    wanted = [s for s in sizes if s <= len(leaves)]
    roots = prefix_roots(leaves, wanted)
    assert roots == {s: merkle_root(leaves[:s]) for s in wanted}


def test_out_of_range_requests_are_refused() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES, 8)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES, 9)
    assert not verify_inclusion(leaf_hash(b""), 3, 3, [], merkle_root(LEAVES[:3]))
    assert not verify_consistency(2, 4, b"x" * 32, b"y" * 32, [b"short"])
