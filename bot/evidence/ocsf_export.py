"""The ledger as OCSF events: one Incident Finding per entry, as JSON Lines.

OCSF 1.5.0, class Incident Finding (``class_uid`` 2005, category Findings,
``category_uid`` 2), which "reports the creation, update, or closure of
security incidents": the declaration is a Create (activity 1), the close a
Close (3), every other entry an Update (2). Each event carries what the schema
requires (``activity_id``, ``category_uid``, ``class_uid``, ``type_uid`` =
class_uid * 100 + activity_id, ``severity_id``, ``status_id``, ``time``,
``metadata`` with ``product`` and ``version``, ``finding_info_list`` whose
items have a ``uid``) and, to meet the class's constraint, an
``assignee_group`` (the playbook's responders) plus an ``assignee`` once a
commander is named. The incident's severity, status and commander are those
in force at that entry, read from the entries before it. The entry itself,
redacted again, travels in ``unmapped.blastwall`` with its hash, so a SIEM
keeps the full record; the bundle stays the evidence.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bot.core.evidence import What
from bot.evidence.entry_fields import parse_entries, seq, text, what, when

Redact = Callable[[dict[str, object]], dict[str, object]]
OCSF_VERSION = "1.5.0"
CLASS_UID, CATEGORY_UID = 2005, 2
ACTIVITIES = {1: "Create", 2: "Update", 3: "Close"}
SEVERITIES = {
    "SEV1": (5, "Critical"),
    "SEV2": (4, "High"),
    "SEV3": (3, "Medium"),
    "SEV4": (2, "Low"),
}
STATUSES = {
    "declared": (1, "New"),
    "contained": (2, "In Progress"),
    "recovering": (2, "In Progress"),
    "resolved": (4, "Resolved"),
    "closed": (5, "Closed"),
}
REGRADED = (What.SEVERITY_RAISED.value, What.SEVERITY_CHANGED.value)
COMMAND = (What.COMMANDER_ASSIGNED.value, What.COMMANDER_HANDED_OVER.value)


@dataclass
class _State:
    """The incident as it stood at an entry, from the entries before it and itself."""

    title: str = ""
    playbook: str = ""
    severity: str = ""
    status: str = "declared"
    commander: str = ""

    def follow(self, entry: dict[str, Any]) -> None:
        kind = what(entry)
        if kind == What.INCIDENT_DECLARED:
            self.title = text(entry, "after", "title")
            self.playbook = text(entry, "after", "playbook")
            self.severity = text(entry, "after", "severity")
        elif kind in REGRADED:
            self.severity = text(entry, "after", "severity") or self.severity
        elif kind == What.STATUS_CHANGED:
            self.status = text(entry, "after", "status") or self.status
        elif kind in COMMAND:
            self.commander = text(entry, "after", "commander") or self.commander


def entries_ocsf(incident_id: str, lines: Sequence[bytes], redact: Redact | None = None) -> str:
    """One OCSF event per entry, one JSON object per line, keys sorted."""
    state = _State()
    out = []
    for entry in parse_entries(lines):
        state.follow(entry)
        clean = redact(entry) if redact is not None else entry
        event = incident_finding(incident_id, clean, state)
        out.append(json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n")
    return "".join(out)


def incident_finding(incident_id: str, entry: dict[str, Any], state: _State) -> dict[str, object]:
    activity = _activity(entry)
    severity_id, severity = SEVERITIES.get(state.severity, (0, "Unknown"))
    status_id, status = STATUSES.get(state.status, (99, "Other"))
    event: dict[str, object] = {
        "activity_id": activity,
        "activity_name": ACTIVITIES[activity],
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Incident Finding",
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"Incident Finding: {ACTIVITIES[activity]}",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "time": _millis(entry),
        "timezone_offset": 0,
        "message": _message(entry),
        "desc": state.title,
        "finding_info_list": [{"uid": incident_id, "title": state.title}],
        "assignee_group": {"name": f"responders of playbook {state.playbook}".strip()},
        "metadata": _metadata(incident_id, entry),
        "unmapped": {"blastwall": entry},
    }
    if state.commander:
        event["assignee"] = {"uid": state.commander, "name": state.commander}
    if text(entry, "outcome"):
        event["comment"] = text(entry, "outcome")
    return event


def _activity(entry: dict[str, Any]) -> int:
    kind = what(entry)
    if kind == What.INCIDENT_DECLARED:
        return 1
    if kind == What.STATUS_CHANGED and text(entry, "after", "status") == "closed":
        return 3
    return 2


def _millis(entry: dict[str, Any]) -> int:
    at = when(entry)
    return int(at.timestamp() * 1000) if at is not None else 0


def _message(entry: dict[str, Any]) -> str:
    why = text(entry, "why")
    return f"{what(entry)}: {why}" if why else what(entry)


def _metadata(incident_id: str, entry: dict[str, Any]) -> dict[str, object]:
    return {
        "version": OCSF_VERSION,
        "product": {"name": "Blastwall", "vendor_name": "Blastwall", "version": _version()},
        "profiles": ["incident"],
        "log_name": "evidence ledger",
        "correlation_uid": incident_id,
        "uid": text(entry, "hash"),
        "sequence": seq(entry),
        "original_time": text(entry, "when"),
    }


def _version() -> str:
    try:
        return version("blastwall")
    except PackageNotFoundError:
        return "unknown"
