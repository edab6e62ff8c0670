"""The forms detect-secrets does not find, or finds without their extent.

Ours, each because the maintained plugins miss it (``bot.secrets.detection``
says what they cover):

- PEM private key blocks, whole: also one cut off before its ``END`` line,
  ``ENCRYPTED PRIVATE KEY`` (PKCS#8), and with ``\\n`` escaped as in a GCP
  service-account JSON (detect-secrets' PrivateKeyDetector reports only the
  ``BEGIN`` line, and only of a fixed list of headers);
- AWS secret access keys without a name: the console's CSV download (header
  ``Access key ID,Secret access key``, also with ``User name,Password`` columns,
  whose password is a secret too) and a bare 40-character secret next to an
  ``AKIA``/``ASIA`` id; AWS session tokens by their fixed prefixes;
- Azure AD client secrets (``xxx8Q~…``); ``client_secret=`` is the keyword plugin's;
- Slack tokens of any shape (``xox?-`` with non-numeric parts, ``xoxe.``
  refresh tokens, ``xapp-`` app tokens); GitHub ``github_pat_`` and ``gh?_``
  tokens of any length (the plugin fixes 36 characters);
- ``sk-…`` API keys (``sk-proj-``, ``sk-ant-api03-``, ``sk-svcacct-``), which the
  OpenAI plugin finds only in the legacy form;
- ``Authorization:`` headers and ``Bearer``/``Basic`` credentials;
- ``token=`` style pairs (the keyword plugin has no ``token`` keyword); not
  in an identity key such as ``vault:token:<accessor>``, where ``token`` is a
  kind and the accessor a public handle containment needs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from bot.core.redaction import Finding
from bot.secrets.detection import kind_of

_B64 = "A-Za-z0-9/+"
_AWS_ID = r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"
_SEP = r"[\s,;:|\"'=\t]{1,6}"

# (kind, pattern, group holding the secret)
PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "private_key",
        re.compile(
            r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----"
            r"(?:.*?-----END \1PRIVATE KEY\2-----|.*\Z)",
            re.S,
        ),
        0,
    ),
    ("private_key", re.compile(r"PuTTY-User-Key-File-\d.*\Z", re.S), 0),
    (
        "aws_secret_access_key",
        re.compile(rf"{_AWS_ID}{_SEP}([{_B64}]{{40}})(?![{_B64}=])"),
        1,
    ),
    (
        "aws_secret_access_key",
        re.compile(rf"(?<![{_B64}=])([{_B64}]{{40}}){_SEP}{_AWS_ID}"),
        1,
    ),
    ("aws_session_token", re.compile(rf"(?:FwoGZXIvYXdzE|IQoJb3JpZ2luX2Vj)[{_B64}=]{{20,}}"), 0),
    (
        "azure_client_secret",
        re.compile(r"(?<![\w~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])"),
        0,
    ),
    ("slack_token", re.compile(r"\b(?:xoxe\.)?xox[a-z]-[A-Za-z0-9-]{8,}"), 0),
    ("slack_token", re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"), 0),
    ("github_token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), 0),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9_]{30,}"), 0),
    ("api_key", re.compile(r"(?<![\w-])sk-(?:[a-z]+\d*-)*[A-Za-z0-9_-]{20,}"), 0),
    (
        "authorization",
        re.compile(
            r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?"
            r"(?:(?:bearer|basic|token|bot)\s+)?([^\s\"',;]{6,})"
        ),
        1,
    ),
    ("authorization", re.compile(r"(?i)\b(?:bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})"), 1),
    (
        "token",
        re.compile(
            r"(?i)(?<![\w:-])((?:[a-z0-9]+[_-]){0,3}[a-z]*token)[\"'\]]?\s*(?:=>|:=|[:=])\s*"
            r"[\"']?([^\s\"',;&<>]{6,})"
        ),
        2,
    ),
)


class PatternFinder:
    """The ``SecretFinder`` for the forms above."""

    def find(self, text: str) -> Iterator[Finding]:
        for kind, pattern, group in PATTERNS:
            for match in pattern.finditer(text):
                name = match.group(1) if kind == "token" else kind
                yield Finding(kind_of(name), *match.span(group))
        yield from _aws_csv(text)


_CSV_HEADER = re.compile(r"(?im)^.*\bsecret access key\b.*$")
_CSV_SECRETS = frozenset({"secret access key", "password"})


def _aws_csv(text: str) -> Iterator[Finding]:
    """The cells under ``Secret access key`` and ``Password`` in the console's CSV."""
    for header in _CSV_HEADER.finditer(text):
        names = [n.strip().lower() for n in next(csv.reader([header.group(0)]))]
        wanted = {i for i, n in enumerate(names) if n in _CSV_SECRETS}
        at = header.end() + 1
        for line in text[at:].splitlines(keepends=True):
            cells = line.rstrip("\r\n").split(",")
            if len(cells) < len(names) or not line.strip():
                break
            offset = at
            for i, cell in enumerate(cells):
                if i in wanted and cell.strip():
                    yield Finding(kind_of(names[i]), offset, offset + len(cell))
                offset += len(cell) + 1
            at += len(line)
