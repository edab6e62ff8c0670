"""The post-incident review's follow-ups, posted to the commander as a checklist.

The review itself goes into the ledger and the exported bundle; what the
commander still has to do should not wait for someone to open the bundle, so
its follow-ups are said in the incident's room as soon as the review is written.
"""

from __future__ import annotations

import logging

from bot.core.events import ReviewWritten
from bot.service.context import Services

log = logging.getLogger(__name__)
BOX = "\N{BALLOT BOX}"


def checklist(event: ReviewWritten) -> str:
    head = (
        f"Post-incident review of {event.incident_id} written (ledger entry {event.seq}) "
        f"now that it is {event.status}; it is in the evidence bundle as review.html and "
        "review.md."
    )
    if not event.follow_ups:
        return f"{head} No follow-ups."
    lines = "\n".join(f"{BOX} {item}" for item in event.follow_ups)
    return f"{head} Follow-ups for the commander:\n{lines}"


async def post_checklist(event: ReviewWritten, svc: Services) -> None:
    async with svc.uow() as uow:
        incident = await uow.incidents.get(event.incident_id)
    notifier = svc.notifier_for(incident) if incident else None
    if incident is None or notifier is None or incident.room is None:
        log.info("review checklist of %s not posted: no room", event.incident_id)
        return
    await notifier.announce(incident, checklist(event))
