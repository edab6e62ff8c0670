"""A Notifier fake that remembers what it was asked to say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.actors import Actor
from bot.core.cards import Card, Prompt
from bot.core.incidents import Incident, MessageRef, RoomRef


@dataclass
class RecordingNotifier:
    platform: str = "slack"
    rooms: list[tuple[str, list[str]]] = field(default_factory=list)
    said: list[tuple[str, str]] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    told: list[tuple[str, str]] = field(default_factory=list)
    asked: list[tuple[list[str], Prompt]] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    fail_open: bool = False
    fail_ask: bool = False

    async def open_room(
        self, incident: Incident, invitees: Sequence[Actor], *, private: bool = True
    ) -> RoomRef:
        if self.fail_open:
            raise RuntimeError("chat is down")
        self.rooms.append((incident.id, [a.principal for a in invitees]))
        return RoomRef(self.platform, f"C{len(self.rooms):04d}", incident.id.lower())

    async def archive_room(self, incident: Incident) -> None:
        self.archived.append(incident.id)

    async def announce(self, incident: Incident, text: str) -> None:
        self.said.append((incident.id, text))

    async def announce_commander(self, incident: Incident, commander: Actor) -> None:
        self.said.append((incident.id, f"commander {commander.principal}"))

    async def ask(self, incident: Incident, people: Sequence[Actor], prompt: Prompt) -> None:
        if self.fail_ask:
            raise RuntimeError("chat is down")
        self.asked.append(([a.principal for a in people], prompt))

    async def post_card(self, incident: Incident, card: Card) -> MessageRef:
        self.cards.append(card)
        assert incident.room is not None
        return MessageRef(self.platform, incident.room.room_id, f"{len(self.cards)}.0001")

    async def update_card(self, ref: MessageRef, card: Card) -> None:
        self.cards.append(card)

    async def tell(self, incident: Incident, actor: Actor, text: str) -> None:
        self.told.append((actor.principal, text))
