"""Saying in the incident's room what automatic containment did, or held back.

Nothing automatic happens silently: a rule that ran is announced (its Undo button is
on the card, which the action's settled event refreshes, when undo is safe), and a
rule a guard rail held back is announced with the reason, so a person decides.
"""

from __future__ import annotations

import logging

from bot.core.actions import RequestStatus
from bot.core.events import AutomaticActionRan, AutomaticActionWithheld
from bot.service.context import Services

log = logging.getLogger(__name__)


async def announce_automatic(event: AutomaticActionRan, svc: Services) -> None:
    done = event.status is RequestStatus.SUCCEEDED
    text = (
        f"Contained automatically ({event.rule}): {event.action_id} on {event.target_key} "
        + ("done. " if done else "failed. ")
        + event.summary
    )
    if event.undoable:
        text += " If this was wrong, Undo is on the incident card."
    elif not done:
        text += " A person decides what next: the buttons are on the incident card."
    await _announce(event.incident_id, text, svc)


async def announce_withheld(event: AutomaticActionWithheld, svc: Services) -> None:
    await _announce(
        event.incident_id,
        f"Not contained automatically ({event.rule}): {event.action_id} on "
        f"{event.target_key} was held back: {event.reason}. A person decides: "
        "the buttons are on the incident card.",
        svc,
    )


async def _announce(incident_id: str, text: str, svc: Services) -> None:
    async with svc.uow() as uow:
        incident = await uow.incidents.get(incident_id)
    notifier = svc.notifier_for(incident) if incident else None
    if incident is None or notifier is None or incident.room is None:
        log.info("no room to announce in for %s: %s", incident_id, text)
        return
    await notifier.announce(incident, text)
