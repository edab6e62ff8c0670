"""The Notifier port on Microsoft Teams: Graph makes the channel, the Bot Connector
posts and updates the cards, 1:1 chats carry what is for one person only."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.adapters.teams.calls import TeamsCallError
from bot.adapters.teams.cards import (
    card_activity,
    escape,
    incident_card,
    mention,
    note_card,
    prompt_card,
)
from bot.adapters.teams.connector import BotConnector
from bot.adapters.teams.graph import Graph, channel_name
from bot.adapters.teams.references import ConversationRefs, names_of
from bot.core.actors import Actor
from bot.core.cards import Card, Prompt
from bot.core.incidents import Incident, MessageRef, RoomRef

log = logging.getLogger(__name__)
PUBLIC_SERVICE_URL = "https://smba.trafficmanager.net/teams/"


def _message(html_text: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "message", "textFormat": "xml", "text": html_text, "entities": entities or []}


@dataclass
class TeamsNotifier:
    """``private``: incident channels are private, with the responders as members.
    Playbooks have no setting for it yet, so Teams keeps incidents private by default."""

    connector: BotConnector
    graph: Graph
    refs: ConversationRefs
    team_id: str
    private: bool = True
    platform: str = "teams"

    async def start(self) -> None:
        """The connector and Graph share one pooled httpx client, made with this."""

    async def close(self) -> None:
        await self.connector.caller.client.aclose()

    async def _service_url(self) -> str:
        team = await self.refs.get(f"team:{self.team_id}")
        if team is not None:
            return team.service_url
        return await self.refs.any_service_url() or PUBLIC_SERVICE_URL

    async def _names(self, *principals: str | None) -> dict[str, str]:
        return await names_of(self.refs, *principals)

    async def open_room(
        self, incident: Incident, invitees: Sequence[Actor], *, private: bool = True
    ) -> RoomRef:
        commander = incident.commander
        owner = commander.user_id if commander and commander.platform == "teams" else None
        members = [a.user_id for a in invitees if a.platform == "teams"]
        name = channel_name(incident.id)
        channel_id = await self.graph.create_channel(
            self.team_id,
            name,
            f"Blastwall incident {incident.id} ({incident.severity.value})",
            owner,
            members,
            # A private channel nobody on Teams may enter would hide the incident.
            self.private and private and bool(owner or members),
        )
        return RoomRef(platform=self.platform, room_id=channel_id, name=name)

    async def _post(self, incident: Incident, activity: dict[str, Any]) -> tuple[str, str]:
        assert incident.room is not None
        return await self.connector.post_to_channel(
            await self._service_url(), incident.room.room_id, activity
        )

    async def announce(self, incident: Incident, text: str) -> None:
        await self._post(incident, _message(escape(text)))

    async def announce_commander(self, incident: Incident, commander: Actor) -> None:
        said, entities = mention(commander.principal, await self._names(commander.principal))
        text = (
            f"{said} is the incident commander for {escape(incident.id)}: {escape(incident.title)}"
        )
        await self._post(incident, _message(text, entities))

    async def ask(self, incident: Incident, people: Sequence[Actor], prompt: Prompt) -> None:
        """In the channel, then to each Teams person in their 1:1 chat with the bot."""
        activity = card_activity(prompt_card(prompt), prompt.text)
        await self._post(incident, activity)
        for person in people:
            if person.platform != self.platform:
                continue
            try:
                await self._to_person(person, activity)
            except TeamsCallError as exc:
                log.warning("could not message %s directly: %s", person.principal, exc)

    async def _to_person(self, person: Actor, activity: dict[str, Any]) -> None:
        personal = await self.refs.get(f"personal:{person.user_id}")
        if personal is not None:
            await self.connector.send(personal.service_url, personal.conversation_id, activity)
            return
        user = await self.refs.get(f"user:{person.user_id}")
        service_url = user.service_url if user else await self._service_url()
        member = user.user_id if user and user.user_id else person.user_id
        conversation = await self.connector.open_personal(service_url, member)
        await self.connector.send(service_url, conversation, activity)

    async def _card_activity(self, card: Card) -> dict[str, Any]:
        content = incident_card(card, await self._names(card.commander))
        return card_activity(content, f"{card.incident_id}: {card.title}")

    async def post_card(self, incident: Incident, card: Card) -> MessageRef:
        conversation, activity_id = await self._post(incident, await self._card_activity(card))
        return MessageRef(self.platform, conversation, activity_id)

    async def update_card(self, ref: MessageRef, card: Card) -> None:
        await self.connector.update(
            await self._service_url(), ref.room_id, ref.message_id, await self._card_activity(card)
        )

    async def tell(self, incident: Incident, actor: Actor, text: str) -> None:
        """Only to them: their 1:1 chat. A card click also shows it in the card it answers."""
        if actor.platform != self.platform:
            log.info("cannot tell %s on Teams: %s", actor.principal, text)
            return
        try:
            await self._to_person(actor, card_activity(note_card(text), text))
        except TeamsCallError as exc:
            log.info("could not tell %s on Teams (%s): %s", actor.principal, exc, text)
