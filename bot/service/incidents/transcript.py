"""The channel's transcript: every person's message in an incident's room joins its
ledger, with its edits and deletion as entries of their own (issue 13).

The room decides the incident, so a message anywhere else records nothing. A
closed incident's ledger is sealed by its final checkpoint, so its room's
messages are not added. The transcript's key (room message id, kind, edit id)
is checked under the incident's lock and held by a unique constraint, so Slack's
retries, a second replica or the catch-up on start never record a message twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.core.commands import RecordChannelMessage
from bot.core.events import Event
from bot.core.evidence import EvidenceRecord, What
from bot.core.incidents import Status
from bot.core.transcript import MessageKey, TranscriptPosition
from bot.service.context import Services


async def record_channel_message(cmd: RecordChannelMessage, svc: Services) -> Sequence[Event]:
    async with svc.uow() as uow:
        found = await uow.incidents.find_by_room(*cmd.room)
        incident = await uow.incidents.get(found.id, for_update=True) if found else None
        if incident is None or incident.status is Status.CLOSED:
            return []
        if await uow.transcript.find(incident.id, cmd.key) is not None:
            return []
        original = None
        if cmd.key.kind is not What.CHANNEL_MESSAGE:
            said = MessageKey(cmd.key.message_id, What.CHANNEL_MESSAGE)
            original = await uow.transcript.find(incident.id, said)
        entry = _entry(incident.id, cmd, original)
        entry = replace(entry, at=min(entry.at, svc.clock.now()))  # Slack's clock may run ahead
        seq = await uow.incidents.append_evidence(entry)
        if not await uow.transcript.add(incident.id, cmd.key, seq, cmd.thread_id):
            await uow.rollback()  # another writer recorded it first: keep theirs
            return []
        await uow.commit()
    return []


def _entry(incident_id: str, cmd: RecordChannelMessage, original: int | None) -> EvidenceRecord:
    """The message's own time is kept exactly in ``details``; the entry's ``when``
    never goes back before the previous entry's (the store settles it)."""
    details: dict[str, object] = {
        "platform": cmd.room[0],
        "room": cmd.room[1],
        "message": cmd.key.message_id,
        "thread": cmd.thread_id or None,
        "sent_at": cmd.sent_at.isoformat(),
        "through": cmd.through,
    }
    if cmd.key.kind is not What.CHANNEL_MESSAGE:
        details["original_seq"] = original
    if cmd.key.change_id:
        details["edit"] = cmd.key.change_id
    said: dict[str, object] | None = (
        None if cmd.key.kind is What.CHANNEL_MESSAGE_DELETED else {"text": cmd.text}
    )
    return EvidenceRecord(
        incident_id=incident_id,
        what=cmd.key.kind,
        actor=cmd.actor,
        at=cmd.sent_at,
        after=said,
        details=details,
    )


@dataclass(frozen=True)
class CatchUp:
    """A room whose messages may have been missed while Blastwall was down."""

    incident_id: str
    room_id: str
    position: TranscriptPosition


async def rooms_to_catch_up(svc: Services, platform: str) -> list[CatchUp]:
    """Every incident not yet closed with a room on ``platform``, and how far its
    transcript goes: the read side of the catch-up on start."""
    async with svc.uow() as uow:
        incidents = await uow.incidents.list_incidents()
        rooms = [
            (i.id, i.room.room_id)
            for i in incidents
            if i.status is not Status.CLOSED and i.room and i.room.platform == platform
        ]
        return [CatchUp(i, room, await uow.transcript.position(i)) for i, room in rooms]
