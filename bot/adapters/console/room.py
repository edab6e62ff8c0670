"""The console's room: the incident page itself. Nothing leaves the process.

Used when no chat platform is configured, so an incident still has a room and
a card; the console pages read both from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.actors import Actor
from bot.core.cards import Card, Prompt
from bot.core.incidents import Incident, MessageRef, RoomRef

log = logging.getLogger(__name__)


class LocalNotifier:
    platform = "console"

    async def open_room(
        self, incident: Incident, invitees: Sequence[Actor], *, private: bool = True
    ) -> RoomRef:
        return RoomRef(platform=self.platform, room_id=incident.id, name=incident.id.lower())

    async def announce(self, incident: Incident, text: str) -> None:
        log.info("%s: %s", incident.id, text)

    async def announce_commander(self, incident: Incident, commander: Actor) -> None:
        log.info("%s: %s is the incident commander", incident.id, commander.principal)

    async def ask(self, incident: Incident, people: Sequence[Actor], prompt: Prompt) -> None:
        asked = ", ".join(a.principal for a in people)
        log.info("%s: asked %s: %s", incident.id, asked, prompt.text)

    async def post_card(self, incident: Incident, card: Card) -> MessageRef:
        return MessageRef(platform=self.platform, room_id=incident.id, message_id="card")

    async def update_card(self, ref: MessageRef, card: Card) -> None:
        return None

    async def tell(self, incident: Incident, actor: Actor, text: str) -> None:
        log.info("%s: to %s: %s", incident.id, actor.principal, text)
