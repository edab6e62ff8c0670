"""The ledger as CSV: one row per entry, for a spreadsheet or a GRC tool.

The columns are fixed (``COLUMNS``) whatever the entries hold, so a sheet
built on one export reads the next. Nested values (before, after, details)
are canonical JSON in their cell; the framework references get a column of
their own (``nist_csf:RS.MI-01; maestro_layer:L4``), since auditors filter on
them. Every entry passes the redactor again on the way out, and a text cell
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) is prefixed with ``'``, so opening the file
never executes what someone typed into a chat. A CSV is a reading copy: the
bundle, with its signed checkpoints, is the evidence.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from bot.evidence.canonical import canonical
from bot.evidence.entry_fields import field, mapping, parse_entries, text, texts
from bot.evidence.review_sources import FRAMEWORK_NAMES

Redact = Callable[[dict[str, object]], dict[str, object]]
COLUMNS = (
    "seq",
    "when",
    "incident",
    "what",
    "who_platform",
    "who_user_id",
    "who_display",
    "right",
    "outcome",
    "why",
    "frameworks",
    "before",
    "after",
    "details",
    "prev_hash",
    "hash",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def entries_csv(lines: Sequence[bytes], redact: Redact | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(COLUMNS)
    for entry in parse_entries(lines):
        clean = redact(entry) if redact is not None else entry
        writer.writerow([_cell(value) for value in _row(clean)])
    return out.getvalue()


def _row(entry: dict[str, Any]) -> list[object]:
    return [
        entry.get("seq"),
        text(entry, "when"),
        text(entry, "incident"),
        text(entry, "what"),
        text(entry, "who", "platform"),
        text(entry, "who", "user_id"),
        text(entry, "who", "display"),
        text(entry, "right"),
        text(entry, "outcome"),
        text(entry, "why"),
        frameworks_cell(entry),
        _json(entry.get("before")),
        _json(entry.get("after")),
        _json(entry.get("details")),
        text(entry, "prev_hash"),
        text(entry, "hash"),
    ]


def frameworks_cell(entry: dict[str, Any]) -> str:
    refs = mapping(field(entry, "details", "frameworks"))
    return "; ".join(f"{key}:{ref}" for key in FRAMEWORK_NAMES for ref in texts(refs, key))


def _json(value: object) -> str:
    if value is None:
        return ""
    try:
        return canonical(value).decode("utf-8")
    except (ValueError, TypeError):
        return ""


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value
