"""Canonical JSON (RFC 8785) and the hash chain."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.evidence.canonical import canonical
from bot.evidence.chain import GENESIS, entry_hash, seal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None, "x"]}, b'{"a":[true,null,"x"],"b":1}'),
        ({"n": 1.0, "m": 1e21, "k": 0.000001}, b'{"k":0.000001,"m":1e+21,"n":1}'),
        ({"\u20ac": "\u00e9", "\n": "\u001f"}, '{"\\n":"\\u001f","€":"é"}'.encode()),
        ({"\u00e9": 1, "z": 2, "a\u0000": 3}, '{"a\\u0000":3,"z":2,"é":1}'.encode()),
    ],
    ids=["key-order", "numbers", "escapes", "utf16-order"],
)
def test_canonical_form(value: object, expected: bytes) -> None:
    assert canonical(value) == expected


def test_the_chain_links_and_hashes_what_it_says() -> None:
    first = seal({"what": "declared"}, 1, GENESIS)
    second = seal({"what": "contained"}, 2, first.hash)
    entry = json.loads(second.line)
    assert entry["prev_hash"] == first.hash and entry["seq"] == 2
    claimed = entry.pop("hash")
    assert claimed == entry_hash(entry) == hashlib.sha256(canonical(entry)).hexdigest()
    assert canonical(json.loads(second.line)) == second.line


def test_a_body_cannot_forge_the_chain_fields() -> None:
    with pytest.raises(ValueError, match="seq"):
        seal({"seq": 5}, 1, GENESIS)
    with pytest.raises(ValueError):
        seal({"what": "x"}, 0, GENESIS)
