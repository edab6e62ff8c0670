"""The human-readable report that travels in the bundle beside the entries."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

_PLAIN_CELL = re.compile(r"[^\\|<>\s]+(?: [^\\|<>\s]+)*")  # nothing to escape or fold
_COLUMNS = ("seq", "when (UTC)", "who", "what", "right", "outcome", "why")


def render_report(incident_id: str, lines: Sequence[bytes]) -> str:
    return render_rows(incident_id, [report_row(json.loads(line)) for line in lines])


def render_rows(incident_id: str, rows: Sequence[str]) -> str:
    """The report from its rows (``report_row``), for whoever has parsed the entries."""
    out = [
        f"# Evidence report: {_cell(incident_id)}",
        "",
        f"{len(rows)} entries. Verify this bundle with "
        "`blastwall evidence verify BUNDLE --key PUBLIC_KEY`; this report is a reading aid, "
        "the entries and signed checkpoints are the evidence.",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    out += rows
    return "\n".join(out) + "\n"


def report_row(entry: dict[str, Any]) -> str:
    """One entry's line of the report's table."""
    return "| " + " | ".join(_cells(entry)) + " |"


def _cells(entry: dict[str, Any]) -> list[str]:
    who = entry.get("who")
    if not isinstance(who, dict):
        who = {}
    actor = f"{who.get('platform', '')}:{who.get('user_id', '')}"
    return [
        _cell(v)
        for v in (
            entry.get("seq"),
            entry.get("when"),
            actor,
            entry.get("what"),
            entry.get("right"),
            entry.get("outcome"),
            entry.get("why"),
        )
    ]


def _cell(value: object) -> str:
    """Escape for a Markdown table cell: no pipes, no line breaks, no HTML."""
    text = "" if value is None else str(value)
    if _PLAIN_CELL.fullmatch(text):
        return text
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())
