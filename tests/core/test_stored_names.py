"""The enums' values are written into signed ledgers, outbox rows and button payloads
that outlive a release: a member may be added, but no stored value may change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum

from bot.core.actions import RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.cards import PromptKind
from bot.core.escalation import StallKind
from bot.core.evidence import EvidenceRecord, What

STORED: dict[type[StrEnum], set[str]] = {
    What: {
        "room opened",
        "room not opened",
        "incident declared",
        "alert coalesced",
        "alert resolved at source",
        "severity raised",
        "commander assigned",
        "status changed",
        "status change refused",
        "command acknowledged",
        "handoff proposed",
        "commander handed over",
        "reminder snoozed",
        "escalation timer fired",
        "action requested",
        "authorization denied",
        "request refused",
        "approval requested",
        "approval granted",
        "approval denied",
        "approval refused",
        "action denied",
        "action planned",
        "action succeeded",
        "action failed",
        "action verified",
        "verification failed",
        "late outcome not recorded",
        "action reconciled",
        "bulk action settled",
        "undo requested",
        "undo refused",
        "action undone",
        "undo failed",
        "evidence exported",
    },
    PromptKind: {"approve", "deny", "accept_command", "ack_command"},
    StallKind: {
        "commander_not_acknowledged",
        "handoff_not_accepted",
        "approval_pending",
        "action_not_run",
        "no_status_update",
    },
    RequestStatus: {"awaiting_approval", "running", "succeeded", "failed", "denied"},
    Decision: {"approve", "deny"},
}


def test_every_stored_value_is_still_there() -> None:
    for enum, values in STORED.items():
        assert values <= {m.value for m in enum}, enum.__name__


def test_an_evidence_label_is_written_as_its_plain_value() -> None:
    record = EvidenceRecord("INC-1", What.ROOM_OPENED, Actor("slack", "U1"), datetime.now(UTC))
    body = record.as_body()
    assert type(body["what"]) is str and json.dumps(body["what"]) == '"room opened"'
