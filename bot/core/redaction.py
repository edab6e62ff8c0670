"""Redact secrets before anything is stored, logged or sent.

Each secret becomes ``[REDACTED:<kind>:<keyed hash>]``. The keyed hash (HMAC
with a key only this deployment holds) lets two mentions of one secret be
matched without keeping the secret, and without letting anyone who reads the
ledger test guesses against it.

The core decides *how* a secret is replaced and *which values* are walked (every
string of a command, recursively); *where* secrets are in a text is the job of
the ``SecretFinder`` port, so the detector (``bot.secrets``, built on
detect-secrets) stays outside the stdlib-only core. A redactor without finders
still redacts values stored under secret-sounding names (``password``, ``token``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Finding:
    """A secret at ``text[start:end]``."""

    kind: str
    start: int
    end: int


class SecretFinder(Protocol):
    def find(self, text: str) -> Iterable[Finding]: ...


# Values under these keys are secrets whatever they look like.
SECRET_KEYS = frozenset(
    {
        "secret_access_key",
        "secretaccesskey",
        "aws_secret_access_key",
        "session_token",
        "sessiontoken",
        "aws_session_token",
        "password",
        "passwd",
        "client_secret",
        "private_key",
        "authorization",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "secret",
        "api_key",
        "apikey",
    }
)
# Values under keys ending so are ciphertext this deployment sealed (bot.secrets.sealing):
# the one form in which a leaked credential may be held, so it is kept as it is,
# once the ``sealed`` check confirms it (a sender cannot smuggle a secret past
# the redactor by naming its field ``x_sealed``).
SEALED_SUFFIX = "_sealed"
MARK = re.compile(r"\[REDACTED:[a-z0-9_]+:[0-9a-f]{16}\]")
# A secret found once is also replaced where it appears again bare (a second
# mention a detector could not recognise without its context); short values are
# left to their context, so a ``password=abc`` does not blank every "abc".
_REPEAT_MIN = 12


class Redactor:
    def __init__(
        self,
        key: bytes,
        finders: Sequence[SecretFinder] = (),
        sealed: Callable[[str], bool] = lambda _: False,
    ) -> None:
        if len(key) < 16:
            raise ValueError("the redaction key must be at least 16 bytes")
        self._key = key
        self._finders = tuple(finders)
        self._sealed = sealed

    def fingerprint(self, secret: str) -> str:
        return hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def _mark(self, kind: str, secret: str) -> str:
        return f"[REDACTED:{kind}:{self.fingerprint(secret)}]"

    def redact_text(self, text: str) -> str:
        spans = self._spans(text)
        for kind, start, end in reversed(spans):
            text = text[:start] + self._mark(kind, text[start:end]) + text[end:]
        return text

    def _spans(self, text: str) -> list[tuple[str, int, int]]:
        """Every finding, repeats included, merged so overlapping ones become one."""
        marks = [m.span() for m in MARK.finditer(text)]
        found = [
            f
            for finder in self._finders
            for f in finder.find(text)
            if f.end > f.start and not any(s < f.end and f.start < e for s, e in marks)
        ]
        found += _repeats(text, found, marks)
        merged: list[tuple[str, int, int]] = []
        for f in sorted(found, key=lambda f: (f.start, -f.end)):
            if merged and f.start < merged[-1][2]:
                kind, start, end = merged[-1]
                merged[-1] = (kind, start, max(end, f.end))
            else:
                merged.append((f.kind, f.start, f.end))
        return merged

    def redact(self, value: object) -> object:
        """Redact strings anywhere in a JSON-like value; keys are kept."""
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, Mapping):
            return {str(k): self._field(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact(v) for v in value]
        return value

    def _field(self, name: str, value: object) -> object:
        normalized = name.lower().replace("-", "_")
        if normalized.endswith(SEALED_SUFFIX) and isinstance(value, str) and value:
            return (
                value
                if self._sealed(value) or MARK.fullmatch(value)
                else self._mark("unsealed", value)
            )
        if normalized in SECRET_KEYS and isinstance(value, str) and value:
            if MARK.fullmatch(value):
                return value
            return self._mark(normalized, value)
        return self.redact(value)

    def redact_body(self, body: dict[str, object]) -> dict[str, object]:
        redacted = self.redact(body)
        assert isinstance(redacted, dict)
        return redacted

    def redact_command(self, command: T) -> T:
        """The same value with every string in it redacted, its types kept.

        Walks dataclasses, mappings, lists and tuples (pairs as name and value,
        like an identity's attributes), so a new free-text field on any command
        is covered without anyone remembering to add it. Enumerations are kept:
        they are our own words, not outside text.
        """
        return self._walk(command)  # type: ignore[return-value]

    def _walk(self, value: object) -> object:
        if isinstance(value, Enum):
            return value
        if isinstance(value, str):
            return self.redact_text(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                f.name: self._walk(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.init
            }
            return dataclasses.replace(value, **changes)
        if isinstance(value, Mapping):
            return {k: self._walk_field(str(k), v) for k, v in value.items()}
        if isinstance(value, tuple) and all(_is_pair(v) for v in value):
            return tuple((k, self._walk_field(k, v)) for k, v in value)
        if isinstance(value, list | tuple):
            return type(value)(self._walk(v) for v in value)
        return value

    def _walk_field(self, name: str, value: object) -> object:
        if isinstance(value, str):
            return self._field(name, value)
        return self._walk(value)


def _is_pair(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)


def _repeats(
    text: str, found: Sequence[Finding], marks: Sequence[tuple[int, int]]
) -> list[Finding]:
    extra: list[Finding] = []
    for f in found:
        secret = text[f.start : f.end]
        if len(secret) < _REPEAT_MIN:
            continue
        at = text.find(secret)
        while at != -1:
            if not any(s < at + len(secret) and at < e for s, e in marks):
                extra.append(Finding(f.kind, at, at + len(secret)))
            at = text.find(secret, at + 1)
    return extra
