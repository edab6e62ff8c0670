"""What an evidence entry says, before it is chained, hashed and signed.

The chaining (canonical JSON, hashes, checkpoints) lives in ``bot.evidence``;
the core only decides *what* is recorded for each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from bot.core.actors import Actor


class What(StrEnum):
    """The kind of an evidence entry: its ``what``. The values are in signed ledgers
    already, so a member's value never changes; new kinds are new members."""

    ROOM_OPENED = "room opened"
    ROOM_NOT_OPENED = "room not opened"
    INCIDENT_DECLARED = "incident declared"
    ALERT_COALESCED = "alert coalesced"
    ALERT_RESOLVED_AT_SOURCE = "alert resolved at source"
    SEVERITY_RAISED = "severity raised"
    COMMANDER_ASSIGNED = "commander assigned"
    STATUS_CHANGED = "status changed"
    STATUS_CHANGE_REFUSED = "status change refused"
    COMMAND_ACKNOWLEDGED = "command acknowledged"
    HANDOFF_PROPOSED = "handoff proposed"
    COMMANDER_HANDED_OVER = "commander handed over"
    REMINDER_SNOOZED = "reminder snoozed"
    ESCALATION_TIMER_FIRED = "escalation timer fired"
    ACTION_REQUESTED = "action requested"
    AUTHORIZATION_DENIED = "authorization denied"
    REQUEST_REFUSED = "request refused"
    APPROVAL_REQUESTED = "approval requested"
    APPROVAL_GRANTED = "approval granted"
    APPROVAL_DENIED = "approval denied"
    APPROVAL_REFUSED = "approval refused"
    ACTION_DENIED = "action denied"
    ACTION_PLANNED = "action planned"
    ACTION_SUCCEEDED = "action succeeded"
    ACTION_FAILED = "action failed"
    ACTION_VERIFIED = "action verified"
    VERIFICATION_FAILED = "verification failed"
    LATE_OUTCOME_NOT_RECORDED = "late outcome not recorded"
    ACTION_RECONCILED = "action reconciled"
    BULK_ACTION_SETTLED = "bulk action settled"
    UNDO_REQUESTED = "undo requested"
    UNDO_REFUSED = "undo refused"
    ACTION_UNDONE = "action undone"
    UNDO_FAILED = "undo failed"
    EVIDENCE_EXPORTED = "evidence exported"
    SEVERITY_CHANGED = "severity changed"
    SEVERITY_CHANGE_REFUSED = "severity change refused"
    IDENTITY_ADDED = "identity added"
    IDENTITY_ADD_REFUSED = "identity add refused"
    VENDOR_STEP_REQUESTED = "vendor step requested"
    VENDOR_STEP_CONFIRMED = "vendor step confirmed"
    CHANNEL_MESSAGE = "channel message"
    CHANNEL_MESSAGE_EDITED = "channel message edited"
    CHANNEL_MESSAGE_DELETED = "channel message deleted"
    ACTIVITY_COLLECTED = "identity activity collected"
    IDENTITY_ACTIVITY = "identity activity"
    REVIEW_WRITTEN = "post-incident review written"
    AUTOMATIC_ACTION_TRIGGERED = "automatic action triggered"
    AUTOMATIC_ACTION_WITHHELD = "automatic action withheld"


@dataclass(frozen=True)
class EvidenceRecord:
    """who / what / when / why / under which right / before-after / outcome."""

    incident_id: str
    what: What
    actor: Actor
    at: datetime
    why: str = ""
    right: str | None = None
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    outcome: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    def as_body(self) -> dict[str, object]:
        """The JSON-ready body (datetimes as UTC ISO-8601 with a Z)."""
        return {
            "incident": self.incident_id,
            "what": str(self.what),
            "who": {
                "platform": self.actor.platform,
                "user_id": self.actor.user_id,
                "display": self.actor.display,
            },
            "when": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "why": self.why,
            "right": self.right,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
            "details": self.details,
        }
