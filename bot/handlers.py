"""The handler table: read it as Blastwall's table of contents.

Each command has exactly one handler; each event any number. The handlers
themselves live in modules named for their concept.
"""

from __future__ import annotations

from functools import partial

from bot.bus import CommandHandler, EventHandler, MessageBus
from bot.containment import request_action
from bot.core.commands import ChangeStatus, Command, DeclareIncident, RequestAction
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ActionSettled,
    AlertCoalesced,
    Event,
    IncidentDeclared,
    StatusChanged,
    StatusRefused,
)
from bot.declare import declare_incident
from bot.lifecycle import change_status
from bot.notifications import (
    open_room,
    refresh_card,
    report_duplicate,
    report_refusal,
    report_settled,
    report_status,
    report_status_refusal,
)
from bot.services import Services


def build_bus(svc: Services) -> MessageBus:
    commands: dict[type[Command], CommandHandler] = {
        DeclareIncident: partial(declare_incident, svc=svc),
        RequestAction: partial(request_action, svc=svc),
        ChangeStatus: partial(change_status, svc=svc),
    }
    events: dict[type[Event], list[EventHandler]] = {
        IncidentDeclared: [partial(open_room, svc=svc)],
        AlertCoalesced: [partial(refresh_card, svc=svc)],
        ActionRefused: [partial(report_refusal, svc=svc)],
        ActionDuplicate: [partial(report_duplicate, svc=svc)],
        ActionSettled: [partial(refresh_card, svc=svc), partial(report_settled, svc=svc)],
        StatusChanged: [partial(refresh_card, svc=svc), partial(report_status, svc=svc)],
        StatusRefused: [partial(report_status_refusal, svc=svc)],
    }
    return MessageBus(commands, events)
