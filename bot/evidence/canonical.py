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
    return _fast(value) if _plain(value) else bytes(rfc8785.dumps(value))


def canonical_without(
    entry: dict[str, Any], key: str, *, plain: bool | None = None
) -> tuple[bytes, bytes]:
    """The canonical form of ``entry``, and of ``entry`` less ``key``, each member
    canonicalised once: an object's canonical form is its members' in key order,
    so the members before ``key`` and those after it make both. ``plain`` is
    ``parse_plain``'s verdict, when the entry came from there (it saves a walk)."""
    plain = _plain(entry) if plain is None else plain
    write = _fast if plain else canonical  # one verdict for every part
    head, tail = _around(entry, key, write)
    rest = _object(head, tail)
    if key not in entry:
        return rest, rest
    return _object(head, write(key) + b":" + write(entry[key]), tail), rest


def canonical_with(
    entry: dict[str, Any], key: str, value_of: Callable[[bytes], str]
) -> tuple[str, bytes]:
    """``entry`` (which lacks ``key``) with ``key`` set to ``value_of`` its canonical
    form, canonicalised once: what chaining needs, an entry's hash being over the rest.
    Returns the value and the canonical form of the whole."""
    if key in entry:
        raise ValueError(f"the entry already has {key!r}")
    write = _fast if _plain(entry) and _plain(key) else canonical
    head, tail = _around(entry, key, write)
    value = value_of(_object(head, tail))
    return value, _object(head, write(key) + b":" + canonical(value), tail)


def _around(entry: dict[str, Any], key: str, write: Callable[[Any], bytes]) -> tuple[bytes, bytes]:
    """The canonical members that sort before ``key``, and those after, without braces."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if key.isascii() and all(k.isascii() for k in entry):  # code point order is UTF-16's
        for k, v in entry.items():
            if k != key:
                (before if k < key else after)[k] = v
    else:
        order = key.encode("utf-16-be")
        for k, v in entry.items():
            if k != key:
                (before if k.encode("utf-16-be") < order else after)[k] = v
    return write(before)[1:-1], write(after)[1:-1]


def _fast(value: Any) -> bytes:
    """The C encoder, for a value ``_plain`` admitted; a lone surrogate still falls back."""
    try:
        return _ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError:
        return bytes(rfc8785.dumps(value))


def _object(*members: bytes) -> bytes:
    return b"{" + b",".join(m for m in members if m) + b"}"


def parse(line: bytes) -> Any:
    return json.loads(line.decode("utf-8"))


def parse_plain(line: bytes) -> tuple[Any, bool]:
    """The JSON value, and whether it may take the fast path, decided while parsing:
    an ASCII line without ``\\u`` escapes has only ASCII strings (keys too), and the
    parser reports every float, constant (NaN, Infinity) and integer it meets, so no
    second walk over the value is needed."""
    found = _Found()
    value = json.loads(
        line.decode("utf-8"),
        parse_float=found.inexact,
        parse_constant=found.inexact,
        parse_int=found.whole,
    )
    return value, found.plain and line.isascii() and b"\\u" not in line


class _Found:
    def __init__(self) -> None:
        self.plain = True

    def inexact(self, text: str) -> float:
        self.plain = False
        return float(text)

    def whole(self, text: str) -> int:
        number = int(text)
        if not -_SAFE <= number <= _SAFE:
            self.plain = False
        return number


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
