"""RFC 8785 canonical JSON: one byte string per value, so hashes are reproducible.

The ``rfc8785`` package is the reference, and slow: it writes every value from
Python. For the values entries hold, the standard library's C encoder writes
the same bytes: its escaping of strings (``ensure_ascii=False``) is ECMAScript's,
integers within +/-(2**53 - 1) print alike, and for ASCII keys sorting by code
point is sorting by UTF-16 code unit. So a value made only of those (strings,
such integers, booleans, None, lists and objects with ASCII keys) takes the fast
path; anything else (a float, a larger integer, a non-ASCII key, another type, a
lone surrogate) goes to ``rfc8785``, which also raises its own errors for it. A
property test holds the two byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import rfc8785

_SAFE = 2**53 - 1
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)


def canonical(value: Any) -> bytes:
    if _plain(value):
        try:
            return _ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 refuses it in its own words
    return bytes(rfc8785.dumps(value))


def canonical_without(entry: dict[str, Any], key: str) -> tuple[bytes, bytes]:
    """The canonical form of ``entry``, and of ``entry`` less ``key``, each member
    canonicalised once: an object's canonical form is its members' in key order,
    so the members before ``key`` and those after it make both."""
    head, tail = _around(entry, key)
    rest = _object(head, tail)
    if key not in entry:
        return rest, rest
    return _object(head, canonical(key) + b":" + canonical(entry[key]), tail), rest


def canonical_with(
    entry: dict[str, Any], key: str, value_of: Callable[[bytes], str]
) -> tuple[str, bytes]:
    """``entry`` (which lacks ``key``) with ``key`` set to ``value_of`` its canonical
    form, canonicalised once: what chaining needs, an entry's hash being over the rest.
    Returns the value and the canonical form of the whole."""
    if key in entry:
        raise ValueError(f"the entry already has {key!r}")
    head, tail = _around(entry, key)
    value = value_of(_object(head, tail))
    return value, _object(head, canonical(key) + b":" + canonical(value), tail)


def _around(entry: dict[str, Any], key: str) -> tuple[bytes, bytes]:
    """The canonical members that sort before ``key``, and those after, without braces."""
    order = key.encode("utf-16-be")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for k, v in entry.items():
        if k != key:
            (before if k.encode("utf-16-be") < order else after)[k] = v
    return canonical(before)[1:-1], canonical(after)[1:-1]


def _object(*members: bytes) -> bytes:
    return b"{" + b",".join(m for m in members if m) + b"}"


def parse(line: bytes) -> Any:
    return json.loads(line.decode("utf-8"))


def _plain(value: Any) -> bool:
    """Only values the C encoder writes exactly as RFC 8785 does (see the module's doc)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_SAFE <= value <= _SAFE)
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str or not k.isascii():
                return False
            if type(v) is not str and not _plain(v):
                return False
        return True
    if kind is list or kind is tuple:
        for v in value:
            if type(v) is not str and not _plain(v):
                return False
        return True
    return False
