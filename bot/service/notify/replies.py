"""What the requester sees about the outcome of their own command, written once.

Every door (Slack, the console, Teams next) hands a command to the bus and gets
its events back. Outcomes that belong to an incident reach its room through the
event handlers; the ones no room will carry (a refusal before there is an
incident) are the door's to tell, with the texts below, so each door says the
same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ActionSettled,
    ApprovalRecorded,
    ApprovalRequested,
    BulkSettled,
    DeclarationRefused,
    Event,
    Refused,
    StatusRefused,
    Told,
    TurnedAway,
)

ROOMLESS = (Refused, StatusRefused, Told, DeclarationRefused, TurnedAway)
"""Outcomes told to the requester directly when they have no incident (no room)."""


def reply(event: Event) -> str | None:
    """The requester's line about one outcome; None for events that are not one."""
    if isinstance(event, DeclarationRefused):
        return f"Not done: not declared: {event.reason}"
    if isinstance(event, ActionRefused | Refused | StatusRefused | TurnedAway):
        return f"Not done: {event.reason}"
    if isinstance(event, ActionSettled):
        return f"{event.action_id} on {event.target_key}: {event.status.value}. {event.summary}"
    if isinstance(event, ActionDuplicate):
        return f"{event.action_id} was already requested ({event.status.value}); not run again."
    if isinstance(event, BulkSettled):
        return (
            f"{event.action_id}: {event.succeeded} of {event.total} done, {event.failed} "
            f"failed, {event.skipped} skipped."
        )
    if isinstance(event, Told):
        return event.text
    if isinstance(event, ApprovalRequested):
        return f"Approval requested: it runs once approved. {event.preview}".strip()
    if isinstance(event, ApprovalRecorded):
        return f"Your decision ({event.decision}) is recorded."
    return None


def roomless(events: Sequence[Event]) -> list[str]:
    """The lines a door tells its requester itself: no incident room will carry them."""
    return [
        text
        for event in events
        if isinstance(event, ROOMLESS) and not event.incident_id and (text := reply(event))
    ]
