"""The handler table: read it as Blastwall's table of contents.

Each command has exactly one handler; each event any number. The handlers
themselves live in modules named for their concept, and never call one another:
a handler whose work continues elsewhere returns the follow-up command
(``RequestBulkAction``, ``RunBulk``, ``RunApproved``, from the escalation
timers ``ExpireApproval``, and from a declaration ``ContainAutomatically``, which
the bus runs detached) and the bus runs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from bot.core.commands import (
    AcceptCommand,
    AcknowledgeCommand,
    AddIdentity,
    ChangeSeverity,
    ChangeStatus,
    CollectActivity,
    Command,
    ContainAutomatically,
    DecideApproval,
    DeclareIncident,
    DeliverNotices,
    ExpireApproval,
    ExportEvidence,
    FireDueTimers,
    ProposeHandoff,
    ReconcileIntents,
    RecordChannelMessage,
    RecordDoorRefusal,
    RequestAction,
    RequestBulkAction,
    RunApproved,
    RunBulk,
    RunRequest,
    RunUndo,
    Snooze,
    UndoAction,
    VendorStepUpdate,
)
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ActionSettled,
    AlertCoalesced,
    ApprovalRecorded,
    ApprovalRequested,
    AutomaticActionRan,
    AutomaticActionWithheld,
    BulkSettled,
    CommandAcknowledged,
    CommandChanged,
    Escalated,
    Event,
    HandoffProposed,
    IncidentDeclared,
    Refused,
    RequestDenied,
    ReviewWritten,
    SeverityChanged,
    SeverityRaised,
    StatusChanged,
    StatusRefused,
    Told,
    TurnedAway,
    VendorStepRecorded,
)
from bot.service.actions.approvals import decide_approval, expire_approval
from bot.service.actions.automatic import contain_automatically
from bot.service.actions.bulk import request_bulk, run_bulk
from bot.service.actions.reconcile import reconcile
from bot.service.actions.request import request_action, run_approved, run_request
from bot.service.actions.undo import run_undo, undo_action
from bot.service.activity.collection import collect_activity
from bot.service.audit import export_evidence, record_door_refusal
from bot.service.bus import CommandHandler, EventHandler, MessageBus
from bot.service.context import Services
from bot.service.escalation.timers import deliver_notices, fire_due
from bot.service.incidents.command import (
    accept,
    acknowledge,
    propose_handoff,
    snooze,
)
from bot.service.incidents.declare import declare_incident
from bot.service.incidents.identities import add_identity
from bot.service.incidents.lifecycle import change_status
from bot.service.incidents.severity import change_severity
from bot.service.incidents.transcript import record_channel_message
from bot.service.incidents.vendor import update_vendor_step
from bot.service.notify.automatic import announce_automatic, announce_withheld
from bot.service.notify.review_checklist import post_checklist
from bot.service.notify.room_opening import open_room
from bot.service.notify.rooms import (
    announce_commander,
    announce_denial,
    announce_severity,
    ask_approvers,
    ask_to_accept,
    escalate,
    post_follow_up,
    refresh_card,
    report_bulk,
    report_duplicate,
    report_refusal,
    report_refused,
    report_settled,
    report_status,
    report_status_refusal,
    report_told,
    report_turned_away,
    report_vendor_step,
)


def build_bus(svc: Services) -> MessageBus:
    def on(handler: Callable[..., Awaitable[None]]) -> EventHandler:
        return partial(handler, svc=svc)

    commands: dict[type[Command], CommandHandler] = {
        DeclareIncident: partial(declare_incident, svc=svc),
        RequestAction: partial(request_action, svc=svc),
        RequestBulkAction: partial(request_bulk, svc=svc),
        RunBulk: partial(run_bulk, svc=svc),
        RunApproved: partial(run_approved, svc=svc),
        DecideApproval: partial(decide_approval, svc=svc),
        ExpireApproval: partial(expire_approval, svc=svc),
        ChangeStatus: partial(change_status, svc=svc),
        ChangeSeverity: partial(change_severity, svc=svc),
        AddIdentity: partial(add_identity, svc=svc),
        VendorStepUpdate: partial(update_vendor_step, svc=svc),
        AcknowledgeCommand: partial(acknowledge, svc=svc),
        ProposeHandoff: partial(propose_handoff, svc=svc),
        AcceptCommand: partial(accept, svc=svc),
        Snooze: partial(snooze, svc=svc),
        FireDueTimers: partial(fire_due, svc=svc),
        DeliverNotices: partial(deliver_notices, svc=svc),
        UndoAction: partial(undo_action, svc=svc),
        ReconcileIntents: partial(reconcile, svc=svc),
        ExportEvidence: partial(export_evidence, svc=svc),
        RecordDoorRefusal: partial(record_door_refusal, svc=svc),
        ContainAutomatically: partial(contain_automatically, svc=svc),
        RecordChannelMessage: partial(record_channel_message, svc=svc),
        CollectActivity: partial(collect_activity, svc=svc),
        RunRequest: partial(run_request, svc=svc),
        RunUndo: partial(run_undo, svc=svc),
    }
    events: dict[type[Event], list[EventHandler]] = {
        IncidentDeclared: [on(open_room)],
        AlertCoalesced: [on(refresh_card)],
        SeverityRaised: [on(refresh_card), on(announce_severity)],
        SeverityChanged: [on(refresh_card), on(announce_severity)],
        VendorStepRecorded: [on(refresh_card), on(report_vendor_step)],
        ActionRefused: [on(report_refusal)],
        ActionDuplicate: [on(report_duplicate)],
        ActionSettled: [on(refresh_card), on(report_settled), on(post_follow_up)],
        ApprovalRequested: [on(refresh_card), on(ask_approvers)],
        ApprovalRecorded: [on(refresh_card)],
        RequestDenied: [on(refresh_card), on(announce_denial)],
        StatusChanged: [on(refresh_card), on(report_status)],
        StatusRefused: [on(report_status_refusal)],
        CommandAcknowledged: [on(refresh_card)],
        HandoffProposed: [on(refresh_card), on(ask_to_accept)],
        CommandChanged: [on(refresh_card), on(announce_commander)],
        Escalated: [on(escalate)],
        Refused: [on(report_refused)],
        TurnedAway: [on(report_turned_away)],
        Told: [on(report_told)],
        BulkSettled: [on(refresh_card), on(report_bulk)],
        AutomaticActionRan: [on(announce_automatic)],
        AutomaticActionWithheld: [on(announce_withheld)],
        ReviewWritten: [on(post_checklist)],
    }
    return MessageBus(commands, events, detached={ContainAutomatically}, after_ack=after_ack)


def after_ack(command: Command) -> bool:
    """The follow-ups a door does not wait for (``MessageBus.accept``): each calls the
    outside world for an intent that has already committed (a running request the
    reconciler settles if this process dies). The exception is a bulk run that needs
    no approval: ``request_bulk`` commits nothing before it, each target's intent
    commits inside ``RunBulk``, so a crash between the answer and the run loses that
    click (the person sees no outcome and clicks again); waiting for 200 calls before
    answering would be worse."""
    return isinstance(command, RunRequest | RunApproved | RunUndo | RunBulk | ContainAutomatically)
