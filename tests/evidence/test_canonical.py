"""The canonical-JSON fast path writes exactly what RFC 8785 (the ``rfc8785`` package) writes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.actors import Actor
from bot.core.evidence import EvidenceRecord, What
from bot.evidence.canonical import canonical, canonical_with, canonical_without, parse_plain
from bot.evidence.chain import seal

SAFE = 2**53 - 1
# every string the encoders could disagree on: controls, quotes, backslashes, DEL,
# U+2028/9, the BMP's top (U+E000..U+FFFF sorts after supplementary planes in UTF-16),
# astral characters and lone surrogates
text = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(['"', "\\", "\x7f", "\u2028", "\u2029", "\ufeff", "\uffff", "\U0001f600"]),
        st.characters(min_codepoint=0, max_codepoint=0x1F),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    ),
    max_size=12,
)
whole = st.one_of(
    st.integers(-SAFE, SAFE),
    st.integers(),  # beyond 2**53 as well: both must refuse alike
    st.sampled_from([SAFE, -SAFE, SAFE + 1, -SAFE - 1, 0, -1]),
)
scalars = st.one_of(st.none(), st.booleans(), whole, st.floats(allow_nan=False), text)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(text, st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=30,
)


def _outcome(write: Any, value: object) -> tuple[str, bytes | type[BaseException]]:
    try:
        return ("ok", bytes(write(value)))
    except Exception as exc:
        return ("error", type(exc))


@settings(max_examples=1000, deadline=None)
@given(values)
def test_the_fast_path_is_byte_identical_to_rfc8785(value: object) -> None:
    assert _outcome(canonical, value) == _outcome(rfc8785.dumps, value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), values, max_size=8), st.text(max_size=6))
def test_an_entry_and_its_hashed_rest_are_canonicalised_once_and_alike(
    entry: dict[str, Any], key: str
) -> None:
    try:
        rest = {k: v for k, v in entry.items() if k != key}
        expected = (rfc8785.dumps(entry), rfc8785.dumps(rest))
    except ValueError:  # refused alike (which of two bad members is named first may differ)
        with pytest.raises(ValueError):
            canonical_without(entry, key)
        return
    assert canonical_without(entry, key) == expected
    value, line = canonical_with(rest, key, lambda data: hashlib.sha256(data).hexdigest())
    assert value == hashlib.sha256(expected[1]).hexdigest()
    assert line == rfc8785.dumps({**rest, key: value})


def test_the_entries_blastwall_writes_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference is called for nothing an ordinary entry holds (it would be 4x slower)."""
    monkeypatch.setattr(rfc8785, "dumps", _refuse)
    record = EvidenceRecord(
        "INC-20261201-0001",
        What.ACTION_SUCCEEDED,
        Actor("slack", "U1", 'Zoë "Z" O\'Brien\n'),
        datetime(2026, 12, 1, tzinfo=UTC),
        why="tab\there, emoji \U0001f512, ctrl \x01",
        before={"status": "Active", "n": 2**53 - 1},
        after={"status": "Inactive", "list": [True, None, -3]},
        details={"targets": ["a", "b"], "nested": {"x": {"y": []}}},
    )
    sealed = seal(record.as_body(), 1, "0" * 64)
    monkeypatch.undo()
    assert sealed.line == rfc8785.dumps(json.loads(sealed.line))


def _refuse(value: object) -> bytes:
    raise AssertionError(f"rfc8785 called for {value!r}")


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=6), values, max_size=6), st.booleans())
def test_the_parsers_verdict_is_the_walks(entry: dict[str, Any], ascii_only: bool) -> None:
    """What the verifier parses takes the fast path only where a walk would allow it."""
    try:
        line = json.dumps(entry, ensure_ascii=ascii_only).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return  # not a JSON text a bundle could hold
    parsed, plain = parse_plain(line)
    if plain:
        assert canonical_without(parsed, "hash", plain=True) == canonical_without(parsed, "hash")
