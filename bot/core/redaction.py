"""Redact secrets before anything is stored or logged.

Each secret becomes ``[REDACTED:<kind>:<keyed hash>]``. The keyed hash (HMAC
with a key only this deployment holds) lets two mentions of one secret be
matched without keeping the secret, and without letting anyone who reads the
ledger test guesses against it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from functools import partial

_B64 = r"[A-Za-z0-9/+=]"
_SECRET_NAME = r"(?:aws_?secret_?access_?key|secret_?access_?key|secretaccesskey)"  # noqa: S105
_TOKEN_NAME = r"(?:aws_?session_?token|session_?token|sessiontoken|x-amz-security-token)"  # noqa: S105
_ASSIGN = r"""["']?\s*[:=]\s*["']?"""

# (kind, pattern, group holding the secret)
PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "pem_private_key",
        re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.S),
        0,
    ),
    (
        "aws_secret_access_key",
        re.compile(rf"(?i){_SECRET_NAME}{_ASSIGN}({_B64}{{40}})(?!{_B64})"),
        1,
    ),
    ("aws_session_token", re.compile(rf"(?i){_TOKEN_NAME}{_ASSIGN}({_B64}{{40,}})"), 1),
    ("aws_session_token", re.compile(rf"(?:FwoGZXIvYXdzE|IQoJb3JpZ2luX2Vj){_B64}{{20,}}"), 0),
    ("slack_token", re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{8,}"), 0),
    ("slack_token", re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"), 0),
    ("github_token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), 0),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), 0),
    ("authorization", re.compile(r"(?i)\b(?:bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})"), 1),
)

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
        "client_secret",
        "private_key",
        "authorization",
        "token",
        "access_token",
        "refresh_token",
        "secret",
        "api_key",
    }
)

_MARK = re.compile(r"\[REDACTED:[a-z_]+:[0-9a-f]{16}\]")


class Redactor:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the redaction key must be at least 16 bytes")
        self._key = key

    def fingerprint(self, secret: str) -> str:
        return hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def _mark(self, kind: str, secret: str) -> str:
        return f"[REDACTED:{kind}:{self.fingerprint(secret)}]"

    def redact_text(self, text: str) -> str:
        for kind, pattern, group in PATTERNS:
            text = pattern.sub(partial(self._replace, kind=kind, group=group), text)
        return text

    def _replace(self, match: re.Match[str], kind: str, group: int) -> str:
        secret = match.group(group)
        if _MARK.fullmatch(secret):
            return match.group(0)
        start, end = match.span(group)
        whole = match.group(0)
        offset = match.start(0)
        return whole[: start - offset] + self._mark(kind, secret) + whole[end - offset :]

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
        if normalized in SECRET_KEYS and isinstance(value, str) and value:
            if _MARK.fullmatch(value):
                return value
            return self._mark(normalized, value)
        return self.redact(value)

    def redact_body(self, body: dict[str, object]) -> dict[str, object]:
        redacted = self.redact(body)
        assert isinstance(redacted, dict)
        return redacted
