"""Opening an incident's room through the outbox, and archiving it once closed.

The declaration commits an ``open_room`` notice with the incident. The handler
marks it sent only once the room exists and is recorded; if chat fails (rate
limit, 5xx, timeout, a crash in between) the notice stays unsent and
``DeliverNotices`` hands it back until the room opens. Escalation notices for
an incident without a room stay unsent too, so they wait for the room instead
of being dropped.
"""

from __future__ import annotations

import logging

from bot.core.actors import SYSTEM
from bot.core.cards import Card
from bot.core.events import IncidentDeclared
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Incident, Status
from bot.core.ports import Notifier, RoomArchiver
from bot.service.context import Services
from bot.service.notify.rooms import announce_earlier_raise, card_of

log = logging.getLogger(__name__)

OPEN_ROOM = "open_room"  # the outbox payload's ``notice`` for a room still to open
# Incidents whose room this process is opening right now. A slow open (Slack rate
# limits) can outlast the notice's retry window; the redelivery then finds it here
# and leaves it, instead of creating a second channel. Across replicas the outbox
# claim (SKIP LOCKED) keeps deliveries apart.
_opening: set[str] = set()


def room_notice(incident_id: str) -> dict[str, object]:
    return {"notice": OPEN_ROOM, "incident": incident_id}


def is_room_notice(payload: dict[str, object]) -> bool:
    return payload.get("notice") == OPEN_ROOM


async def open_room(event: IncidentDeclared, svc: Services) -> None:
    """Create the room (private unless the playbook says public), invite responders,
    name the commander, post the card; then mark the notice sent."""
    async with svc.uow() as uow:
        incident = await uow.incidents.get(event.incident_id)
        card = await card_of(uow.incidents, incident, svc) if incident else None
    notifier = svc.notifier_for(incident) if incident else None
    if incident is None or notifier is None or card is None:
        return
    if incident.room is not None:  # an earlier delivery opened it
        await _mark_sent(event.notice_id, svc)
        return
    if incident.id in _opening:
        return
    _opening.add(incident.id)
    try:
        opened = await _open(incident, notifier, card, svc)
        if opened:
            await _record_room(incident, event.notice_id, svc)
    finally:
        _opening.discard(incident.id)
    if opened:
        await announce_earlier_raise(incident, notifier, svc)


async def _open(incident: Incident, notifier: Notifier, card: Card, svc: Services) -> bool:
    """True once the room exists with its card; a failure is recorded, to be retried."""
    private = svc.playbooks[incident.playbook].room.private
    try:
        incident.room = await notifier.open_room(incident, incident.responders, private=private)
        if incident.commander is not None:
            await notifier.announce_commander(incident, incident.commander)
        incident.card = await notifier.post_card(incident, card)
    except Exception as exc:
        log.exception("could not open the room for %s; it will be retried", incident.id)
        await _record(
            incident.id, What.ROOM_NOT_OPENED, svc, outcome=f"{type(exc).__name__}: {exc}"
        )
        return False
    return True


async def _record_room(incident: Incident, notice_id: int | None, svc: Services) -> None:
    async with svc.uow() as uow:
        current = await uow.incidents.get(incident.id, for_update=True)
        assert current is not None and incident.room is not None
        current.room, current.card = incident.room, incident.card
        await uow.incidents.save(current)
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=incident.id,
                what=What.ROOM_OPENED,
                actor=SYSTEM,
                at=svc.clock.now(),
                after={
                    "platform": incident.room.platform,
                    "room_id": incident.room.room_id,
                    "name": incident.room.name,
                    "private": svc.playbooks[incident.playbook].room.private,
                    "invited": [a.principal for a in incident.responders],
                },
            )
        )
        if notice_id is not None:
            await uow.outbox.mark_sent(notice_id, svc.clock.now())
        await uow.commit()


async def _mark_sent(notice_id: int | None, svc: Services) -> None:
    if notice_id is None:
        return
    async with svc.uow() as uow:
        await uow.outbox.mark_sent(notice_id, svc.clock.now())
        await uow.commit()


async def archive_closed_room(incident: Incident, notifier: Notifier, svc: Services) -> None:
    """Archive a closed incident's room when its playbook says so (the default).

    Called by the anchoring pass right after it posted the incident's last witness
    lines, so the final checkpoint is in the channel before it is archived. Nothing
    is appended to the sealed ledger: a failure is logged, the channel stays open."""
    playbook = svc.playbooks.get(incident.playbook)
    if incident.status is not Status.CLOSED or incident.room is None or playbook is None:
        return
    if not playbook.room.archive_on_close or not isinstance(notifier, RoomArchiver):
        return
    try:
        await notifier.archive_room(incident)
    except Exception:
        log.exception("could not archive the room of %s", incident.id)
        return
    log.info("archived %s, the room of closed %s", incident.room.room_id, incident.id)


async def _record(incident_id: str, what: What, svc: Services, outcome: str) -> None:
    async with svc.uow() as uow:
        await uow.incidents.append_evidence(
            EvidenceRecord(
                incident_id=incident_id,
                what=what,
                actor=SYSTEM,
                at=svc.clock.now(),
                outcome=outcome,
            )
        )
        await uow.commit()
