"""Reading fields of a ledger entry that may hold anything.

The review, the CSV and the OCSF export read entries that came from a bundle
as often as from the database, and a bundle is hostile input: a field may be
missing, of the wrong type, or nested oddly. These readers answer with an
empty value instead of raising, so a strange entry makes a strange line in a
report, never a crash of the verifier.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

Entry = Mapping[str, Any]


def parse_entries(lines: Sequence[bytes]) -> list[dict[str, Any]]:
    """Each line as a mapping; a line that is not a JSON object reads as an empty one."""
    entries: list[dict[str, Any]] = []
    for line in lines:
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            value = {}
        entries.append(value if isinstance(value, dict) else {})
    return entries


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def field(entry: Entry, *path: str) -> object:
    """The value at ``path`` (keys into nested mappings), or None."""
    value: object = entry
    for key in path:
        value = mapping(value).get(key)
    return value


def text(entry: Entry, *path: str) -> str:
    """A scalar field as text ('' when missing, a mapping or a list)."""
    value = field(entry, *path)
    if value is None or isinstance(value, Mapping | list):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def texts(entry: Entry, *path: str) -> tuple[str, ...]:
    """A list field as texts (scalars only; anything else is skipped)."""
    value = field(entry, *path)
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool))


def seq(entry: Entry) -> int:
    value = entry.get("seq")
    return value if type(value) is int else 0


def what(entry: Entry) -> str:
    return text(entry, "what")


def who(entry: Entry) -> str:
    """The actor as a principal (``platform:user_id``)."""
    platform, user = text(entry, "who", "platform"), text(entry, "who", "user_id")
    return f"{platform}:{user}" if platform or user else ""


def when(entry: Entry) -> datetime | None:
    """The entry's UTC time, or None when it is not one Blastwall writes."""
    try:
        return datetime.strptime(text(entry, "when"), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
