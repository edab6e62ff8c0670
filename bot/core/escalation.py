"""The escalation ladder: per kind of stall, after how long whom to notify, and how it ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class StallKind(StrEnum):
    COMMANDER_NOT_ACKNOWLEDGED = "commander_not_acknowledged"
    HANDOFF_NOT_ACCEPTED = "handoff_not_accepted"
    APPROVAL_PENDING = "approval_pending"
    ACTION_NOT_RUN = "action_not_run"
    NO_STATUS_UPDATE = "no_status_update"


class StepEnd(StrEnum):
    """What a step does beyond notifying."""

    REASK = "reask"  # ask the same people again
    OFFER_COMMAND = "offer_command"  # ask the notified manager to take command
    DENY = "deny"  # deny the stalled approval request


@dataclass(frozen=True)
class Step:
    after_minutes: int
    notify: tuple[str, ...] = ()  # principals or group:NAME
    end: StepEnd | None = None


# When a playbook says nothing, a stall still surfaces: re-ask at these points.
DEFAULT_LADDERS: dict[StallKind, tuple[Step, ...]] = {
    StallKind.COMMANDER_NOT_ACKNOWLEDGED: (Step(5, end=StepEnd.REASK),),
    StallKind.HANDOFF_NOT_ACCEPTED: (Step(10, end=StepEnd.REASK),),
    StallKind.APPROVAL_PENDING: (Step(10, end=StepEnd.REASK),),
    StallKind.ACTION_NOT_RUN: (Step(15, end=StepEnd.REASK),),
    StallKind.NO_STATUS_UPDATE: (Step(60, end=StepEnd.REASK),),
}


# Stalls about the incident as a whole have one fixed subject; the others are
# about a request (its key) or a proposed commander (their principal).
SUBJECTS = {
    StallKind.COMMANDER_NOT_ACKNOWLEDGED: "commander",
    StallKind.NO_STATUS_UPDATE: "status",
}


def step_due(started: datetime, step: Step) -> datetime:
    """Steps count from when the stall began, not from the previous step."""
    return started + timedelta(minutes=step.after_minutes)
