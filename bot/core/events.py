"""Events: what happened. Adapters and notifiers react to them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.actions import ActionRequest, RequestStatus
from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.cards import PromptKind
from bot.core.escalation import StallKind


@dataclass(frozen=True)
class Event:
    incident_id: str


@dataclass(frozen=True)
class IncidentDeclared(Event):
    """Its room is still to open; ``notice_id`` is the outbox row that says so."""

    notice_id: int | None = None


@dataclass(frozen=True)
class StatusChanged(Event):
    actor: Actor
    before: str
    after: str


@dataclass(frozen=True)
class StatusRefused(Event):
    """Told privately to ``actor``; nothing changed."""

    actor: Actor
    reason: str


@dataclass(frozen=True)
class AlertCoalesced(Event):
    """A further alert about an identity an open incident already covers."""

    identity_key: str
    added: bool


@dataclass(frozen=True)
class SeverityRaised(Event):
    """A coalesced alert was graver than the incident: said in the room and the ledger."""

    before: str
    after: str
    source: str


@dataclass(frozen=True)
class SeverityChanged(Event):
    """The commander regraded the incident: said in the room, recorded in the ledger."""

    actor: Actor
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class VendorStepRecorded(Event):
    """A vendor step was requested or confirmed: said in the room, shown on the card."""

    actor: Actor
    text: str


@dataclass(frozen=True)
class ActionRefused(Event):
    """Told privately to ``actor``; recorded as ``authorization denied`` evidence."""

    actor: Actor
    action_id: str
    reason: str


@dataclass(frozen=True)
class ActionDuplicate(Event):
    """A double click or a retry: nothing ran again."""

    actor: Actor
    action_id: str
    target_key: str
    status: RequestStatus


@dataclass(frozen=True)
class ActionSettled(Event):
    actor: Actor
    action_id: str
    target_key: str
    status: RequestStatus
    summary: str
    follow_up: str = ""  # a task left to a person, posted in the room

    @classmethod
    def of(cls, request: ActionRequest, summary: str) -> ActionSettled:
        """The settled event of a request as it now stands: one shape for every path
        that settles one (a run, an undo, the reconciler)."""
        return cls(
            request.incident_id,
            request.actor,
            request.action_id,
            request.target_key,
            request.status,
            summary,
        )


@dataclass(frozen=True)
class ApprovalRequested(Event):
    request_key: str
    preview: str = ""  # the dry run: what the action would change


@dataclass(frozen=True)
class ApprovalRecorded(Event):
    actor: Actor
    request_key: str
    decision: Decision


@dataclass(frozen=True)
class Refused(Event):
    """Anything refused to one person about an existing incident: told privately in its
    room, nothing changed. Without an incident to file it under, it is ``TurnedAway``."""

    actor: Actor
    reason: str


@dataclass(frozen=True)
class TurnedAway(Event):
    """Refused before any incident was found (none named, no such incident or request):
    nothing changed, nothing recorded, and there is no room, so the adapter that took
    the command answers the person directly. ``incident_id`` is always empty."""

    actor: Actor
    reason: str


@dataclass(frozen=True)
class RequestDenied(Event):
    request_key: str
    reason: str


@dataclass(frozen=True)
class HandoffProposed(Event):
    to: Actor
    by_escalation: bool = False


@dataclass(frozen=True)
class CommandChanged(Event):
    before: Actor | None
    after: Actor


@dataclass(frozen=True)
class CommandAcknowledged(Event):
    actor: Actor


@dataclass(frozen=True)
class Escalated(Event):
    """A stall climbed a step: tell (or ask) these people."""

    kind: StallKind
    step: int
    notify: tuple[str, ...]
    text: str
    prompt: PromptKind | None = None
    ref: str = ""
    notice_id: int | None = None  # its row in the outbox, committed with the timer


@dataclass(frozen=True)
class Told(Event):
    """A private confirmation to one person."""

    actor: Actor
    text: str


@dataclass(frozen=True)
class BulkSettled(Event):
    """One action applied to every identity it fits: how many succeeded and failed."""

    actor: Actor
    action_id: str
    total: int
    succeeded: int
    failed: int
    skipped: int


@dataclass(frozen=True)
class EvidenceExported(Event):
    """The export is recorded and a checkpoint signs the ledger up to ``entries``."""

    actor: Actor
    entries: int


@dataclass(frozen=True)
class DeclarationRefused(Event):
    """No playbook takes this declaration; nothing was recorded. Told to ``actor``."""

    actor: Actor
    reason: str


@dataclass(frozen=True)
class DoorRefused(Event):
    """A request refused at a chat door (another workspace) that touched an incident:
    recorded in its ledger; the requester is answered by the door itself."""

    actor: Actor
    reason: str


@dataclass(frozen=True)
class AutomaticActionRan(Event):
    """A playbook's rule ran an action without a click: said in the room (the card
    carries the Undo button when undo is safe)."""

    rule: str
    action_id: str
    target_key: str
    status: RequestStatus
    summary: str
    undoable: bool = False


@dataclass(frozen=True)
class AutomaticActionWithheld(Event):
    """A rule fired but a guard rail held it back: said in the room, so a person decides."""

    rule: str
    action_id: str
    target_key: str
    reason: str


@dataclass(frozen=True)
class ReviewWritten(Event):
    """The post-incident review is in the ledger (entry ``seq``): the commander gets its
    follow-ups as a checklist in the room."""

    seq: int
    status: str
    follow_ups: tuple[str, ...]
