"""Commands: what someone asks Blastwall to do. One handler each (bot.service.handlers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.escalation import StallKind
from bot.core.evidence import What
from bot.core.identities import AffectedIdentity
from bot.core.incidents import Environment, Severity, Status
from bot.core.transcript import MessageKey


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class DeclareIncident(Command):
    """From a slash command, the console or an alert.

    ``source`` is the alert's source, or ``manual`` for a person declaring.
    ``note_as`` makes it a note only (a detector saying its alert was resolved):
    recorded under that name on the open incident about the identity, never opening one.
    """

    title: str
    source: str
    declared_by: Actor
    identities: tuple[AffectedIdentity, ...] = ()
    severity: Severity | None = None
    environment: Environment | None = None
    summary: str = ""
    playbook: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    note_as: What | None = None


@dataclass(frozen=True)
class ChangeStatus(Command):
    """The commander moves the incident along its lifecycle.

    The incident is named by id, or by its room when the command was typed in it.
    Closing seals the ledger with a final signed checkpoint.
    """

    actor: Actor
    status: Status
    incident_id: str | None = None
    room: tuple[str, str] | None = None  # (platform, room id)
    reason: str = ""


@dataclass(frozen=True)
class AddIdentity(Command):
    """A responder names one more identity the incident is about (slash command or
    the card's form); it is recorded, and its containment buttons join the card."""

    actor: Actor
    identity: AffectedIdentity
    incident_id: str | None = None
    room: tuple[str, str] | None = None


@dataclass(frozen=True)
class ChangeSeverity(Command):
    """The commander regrades the incident, up or down, and says why."""

    actor: Actor
    severity: Severity
    reason: str
    incident_id: str | None = None
    room: tuple[str, str] | None = None


@dataclass(frozen=True)
class VendorStepUpdate(Command):
    """A step only the vendor can execute: requested of them, then confirmed by the
    commander with the vendor's reference (a non-empty ``reference`` confirms)."""

    actor: Actor
    step_id: str
    reference: str = ""
    incident_id: str | None = None
    room: tuple[str, str] | None = None


@dataclass(frozen=True)
class RequestAction(Command):
    """A click on a containment button. ``actor`` is the platform-verified user."""

    incident_id: str
    action_id: str
    target_key: str
    actor: Actor
    params: dict[str, str] = field(default_factory=dict)
    justification: str = ""


@dataclass(frozen=True)
class DecideApproval(Command):
    """An approver's Approve or Deny, bound to the plan hash they were shown."""

    request_key: str
    actor: Actor
    decision: Decision
    plan_hash: str
    reason: str = ""


@dataclass(frozen=True)
class ProposeHandoff(Command):
    """The commander offers command to someone; they stay commander until it is accepted."""

    actor: Actor
    to: Actor
    incident_id: str | None = None
    room: tuple[str, str] | None = None


@dataclass(frozen=True)
class AcceptCommand(Command):
    """The proposed commander (or a manager offered command by escalation) takes it."""

    actor: Actor
    incident_id: str


@dataclass(frozen=True)
class AcknowledgeCommand(Command):
    """The commander a playbook named says they have it."""

    actor: Actor
    incident_id: str | None = None
    room: tuple[str, str] | None = None


@dataclass(frozen=True)
class Snooze(Command):
    """The commander pushes back one kind of reminder, with a reason."""

    actor: Actor
    kind: StallKind
    minutes: int
    reason: str
    incident_id: str | None = None
    room: tuple[str, str] | None = None


@dataclass(frozen=True)
class FireDueTimers(Command):
    """Wake-up from the scheduler: fire what is due, each timer exactly once."""

    claimer: str
    limit: int = 200


@dataclass(frozen=True)
class UndoAction(Command):
    """Put a target back from the snapshot taken before the change, when that is safe."""

    request_key: str
    actor: Actor
    params: dict[str, str] = field(default_factory=dict)
    justification: str = ""


@dataclass(frozen=True)
class ReconcileIntents(Command):
    """After a crash: settle intents that never got an outcome, without calling again."""

    older_than_s: float = 300.0


@dataclass(frozen=True)
class DeliverNotices(Command):
    """Send escalation notices that committed but were never marked sent (a crash or a
    chat outage in between): at least once, never silently dropped."""

    older_than_s: float = 60.0


@dataclass(frozen=True)
class ExportEvidence(Command):
    """An auditor takes an incident's evidence away; the export is itself evidence."""

    incident_id: str
    actor: Actor
    through: str = "console"


@dataclass(frozen=True)
class ExpireApproval(Command):
    """An approval request's final deadline passed (the escalation timer's last step):
    a request still waiting ends, denied with ``reason``."""

    request_key: str
    reason: str


@dataclass(frozen=True)
class RecordDoorRefusal(Command):
    """A door (Slack: a request from another workspace) refused someone who named an
    incident: the attempt is part of that incident's story."""

    incident_id: str
    actor: Actor
    reason: str
    door: str


@dataclass(frozen=True)
class RecordChannelMessage(Command):
    """A person said something in an incident's room, edited it or deleted it.

    ``actor`` is the author the platform verified (Slack does not say who deleted a
    message: a deletion carries the deleted message's author). ``sent_at`` is the
    platform's time for it; ``text`` passes the bus's redactor like all command text.
    """

    actor: Actor
    room: tuple[str, str]  # (platform, room id)
    key: MessageKey
    sent_at: datetime
    text: str = ""
    thread_id: str = ""
    through: str = "event"  # or "backfill": fetched on start after downtime


@dataclass(frozen=True)
class RequestBulkAction(Command):
    """A click on a bulk button (target ``*``): one action on every identity it fits.

    A follow-up of ``RequestAction``; when the plan needs approval, the whole set is
    one request bound to one hash, so approvers are asked once, not once per target.
    """

    incident_id: str
    action_id: str
    actor: Actor
    params: dict[str, str] = field(default_factory=dict)
    justification: str = ""


@dataclass(frozen=True)
class RunBulk(Command):
    """Run one action on each of ``targets``, each through the single-target path.

    ``approved_under`` names the bulk request whose approvals cover every target
    (empty when none was needed); ``approvals`` are the decisions it ran on.
    Issued only by Blastwall's own handlers, never from an adapter.
    """

    incident_id: str
    action_id: str
    actor: Actor
    targets: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)
    justification: str = ""
    approved_under: str = ""
    approvals: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunApproved(Command):
    """The approval that completed a request: run exactly the plan that was approved.

    Issued only by the approval handler, once, in the transaction that moved the
    request from awaiting approval to running.
    """

    request_key: str
    approvals: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainAutomatically(Command):
    """An alert declared or joined ``incident_id``: run its playbook's automatic actions
    on the identities it named, within the guard rails.

    Issued only by the declaration handler, once its transaction committed; the bus
    runs it detached, so the alert's answer never waits on a connector call.
    ``alert_at`` is when the alert was taken in, for the alert-to-contained time.
    """

    incident_id: str
    identity_keys: tuple[str, ...]
    source: str
    alert_at: datetime
    severity: Severity | None = None
    environment: Environment | None = None


@dataclass(frozen=True)
class CollectActivity(Command):
    """Wake-up from the scheduler: read the identity activity that declarations and
    closes queued, each collection once across retries and replicas."""

    claimer: str
    limit: int = 20


@dataclass(frozen=True)
class RunRequest(Command):
    """Call the connector for a request whose intent has committed and that needs no
    approval. Issued only by the request handler, after the intent's commit, so the
    click is answered before the call (``MessageBus.accept``)."""

    request_key: str


@dataclass(frozen=True)
class RunUndo(Command):
    """Restore a target for an undo whose intent has committed (issued only by the undo
    handler, after that commit)."""

    undo_key: str
