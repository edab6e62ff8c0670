"""Activities to commands. The actor is always the ``aadObjectId`` of a verified activity."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.teams.cards import (
    REASON_INPUT,
    TO_INPUT,
    VERB_ACK,
    VERB_ACTION,
    VERB_HANDOFF,
    VERB_PROMPT,
    VERB_UNDO,
    incident_card,
    invoke_answer,
    note_card,
)
from bot.adapters.teams.connector import BotConnector
from bot.adapters.teams.references import ConversationRefs, from_activity, names_of
from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.cards import Card
from bot.core.commands import (
    AcceptCommand,
    AcknowledgeCommand,
    ChangeStatus,
    Command,
    DecideApproval,
    DeclareIncident,
    ProposeHandoff,
    RequestAction,
    UndoAction,
)
from bot.core.events import (
    ActionDuplicate,
    ActionRefused,
    ApprovalRecorded,
    ApprovalRequested,
    DeclarationRefused,
    Event,
    Refused,
    StatusRefused,
    Told,
    TurnedAway,
)
from bot.core.incidents import Status
from bot.service.bus import CommandSink
from bot.service.notify import replies

log = logging.getLogger(__name__)
CardSource = Callable[[str], Awaitable[Card | None]]
USAGE = (
    "Say: incident open TITLE · incident ack · incident handoff @person · "
    "incident status STATUS [reason]"
)
_TAGS = re.compile(r"<[^>]+>")
# the click is answered once it is recorded; its outcome reaches the card afterwards
RECORDED = "Recorded: the card shows the outcome when it is done."


def note_for(actor: Actor, events: Sequence[Event]) -> str:
    """What the clicker should read about their own click (only they see it)."""
    notes: list[str] = []
    for event in events:
        if getattr(event, "actor", actor) != actor:
            continue
        if isinstance(
            event, ActionRefused | Refused | StatusRefused | DeclarationRefused | TurnedAway
        ):
            notes.append(replies.reply(event) or "")
        elif isinstance(event, ActionDuplicate):
            notes.append(f"{event.action_id} was already requested ({event.status.value}).")
        elif isinstance(event, Told):
            notes.append(event.text)
    if any(isinstance(e, ApprovalRequested) for e in events):
        notes.append("This needs approval; the approvers have been asked.")
    if any(isinstance(e, ApprovalRecorded) for e in events):
        notes.append("Your decision is recorded.")
    return " ".join(notes)


@dataclass
class TeamsInbound:
    """``budget_s``: how long a card click may keep Teams waiting for its answer; a
    command still running then finishes in the background and updates the card."""

    bus: CommandSink
    refs: ConversationRefs
    connector: BotConnector
    cards: CardSource
    team_id: str | None
    budget_s: float = 4.0
    _running: set[asyncio.Future[list[Event]]] = field(default_factory=set)

    async def handle(self, activity: dict[str, Any]) -> dict[str, Any] | None:
        """The invoke answer for a card click; None for everything else."""
        for ref in from_activity(activity, self.team_id):
            await self.refs.remember(ref)
        kind = activity.get("type")
        if kind == "invoke" and activity.get("name") == "adaptiveCard/action":
            return await self._invoke(activity)
        if kind == "message":
            await self._message(activity)
        return None

    async def _dispatch(self, command: Command) -> list[Event]:
        return list(await self.bus.accept(command))

    async def _invoke(self, activity: dict[str, Any]) -> dict[str, Any]:
        actor = _actor(activity)
        action = _dict(_dict(activity.get("value")).get("action"))
        verb, data = str(action.get("verb", "")), action.get("data")
        if actor is None or not isinstance(data, dict):
            return invoke_answer(note_card("Blastwall could not tell who clicked."))
        incident_id = str(data.get("i", ""))
        if verb == VERB_PROMPT:
            return await self._prompt(actor, data)
        command: Command
        if verb == VERB_ACTION:
            command = RequestAction(incident_id, str(data.get("a")), str(data.get("t")), actor)
        elif verb == VERB_ACK:
            command = AcknowledgeCommand(actor, incident_id=incident_id)
        elif verb == VERB_UNDO:
            command = UndoAction(str(data.get("r", "")), actor)
        elif verb == VERB_HANDOFF and str(data.get(TO_INPUT) or "").strip():
            to = Actor("teams", str(data[TO_INPUT]).strip())
            command = ProposeHandoff(actor, to, incident_id=incident_id)
        else:
            return invoke_answer(note_card("This button is not Blastwall's."))
        note = await self._within_budget(actor, command)
        card = await self.cards(incident_id) if incident_id else None
        if card is None:
            return invoke_answer(note_card(note or RECORDED))
        names = await names_of(self.refs, card.commander)
        return invoke_answer(incident_card(card, names, note))

    async def _prompt(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
        kind, incident_id = str(data.get("k", "")), str(data.get("i", ""))
        command: Command
        if kind in ("approve", "deny"):
            reason = str(data.get(REASON_INPUT) or "").strip()[:500]
            if kind == "deny" and not reason:
                return invoke_answer(note_card("A denial needs a justification: nothing recorded."))
            command = DecideApproval(
                str(data.get("r", "")), actor, Decision(kind), str(data.get("h", "")), reason
            )
        elif kind == "accept_command":
            command = AcceptCommand(actor, incident_id)
        elif kind == "ack_command":
            command = AcknowledgeCommand(actor, incident_id=incident_id)
        else:
            return invoke_answer(note_card("This button is not Blastwall's."))
        note = await self._within_budget(actor, command)
        return invoke_answer(note_card(note or RECORDED))

    async def _within_budget(self, actor: Actor, command: Command) -> str:
        """What the clicker reads: the outcome, or, past the budget, that it is under
        way (the command is not cancelled; its events still reach the channel)."""
        running = asyncio.ensure_future(self._dispatch(command))
        self._running.add(running)
        running.add_done_callback(self._running.discard)
        try:
            events = await asyncio.wait_for(asyncio.shield(running), self.budget_s)
        except TimeoutError:
            return "Working on it: the incident card updates when it is done."
        return note_for(actor, events)

    async def _message(self, activity: dict[str, Any]) -> None:
        actor = _actor(activity)
        words = _text(activity).split()
        if actor is None or not words or words[0].lower() != "incident":
            if actor is not None and words:
                await self._reply(activity, USAGE)
            return
        command = await self._command(activity, actor, words[1:])
        if command is None:
            await self._reply(activity, USAGE)
            return
        events = await self._dispatch(command)
        note = note_for(actor, [e for e in events if not e.incident_id])
        if isinstance(command, DeclareIncident) and not note:
            declared = next((e.incident_id for e in events if e.incident_id), "")
            note = f"Declared {declared}." if declared else ""
        if note:
            await self._reply(activity, note)

    async def _command(
        self, activity: dict[str, Any], actor: Actor, words: list[str]
    ) -> Command | None:
        verb, rest = (words[0].lower(), words[1:]) if words else ("", [])
        room = ("teams", _channel(activity))
        if verb == "open" and rest:
            title = " ".join(rest)[:200]
            return DeclareIncident(title=title, source="manual", declared_by=actor)
        if verb == "ack":
            return AcknowledgeCommand(actor, room=room)
        if verb == "status" and rest and rest[0].lower() in {s.value for s in Status}:
            status, reason = Status(rest[0].lower()), " ".join(rest[1:])
            return ChangeStatus(actor, status, room=room, reason=reason)
        if verb == "handoff":
            to = await self._mentioned(activity)
            return ProposeHandoff(actor, to, room=room) if to else None
        return None

    async def _mentioned(self, activity: dict[str, Any]) -> Actor | None:
        """The person @mentioned (not the bot), as Teams' member list names them."""
        bot_id = (activity.get("recipient") or {}).get("id")
        for entity in activity.get("entities") or []:
            mentioned = entity.get("mentioned") or {}
            if entity.get("type") != "mention" or mentioned.get("id") in (None, bot_id):
                continue
            member = await self.connector.member(
                str(activity["serviceUrl"]), _conversation(activity), str(mentioned["id"])
            )
            aad = member.get("aadObjectId")
            return Actor("teams", str(aad), display=str(member.get("name", ""))) if aad else None
        return None

    async def _reply(self, activity: dict[str, Any], text: str) -> None:
        reply = {
            "type": "message",
            "textFormat": "xml",
            "text": html.escape(text),
            "replyToId": activity.get("id"),
        }
        await self.connector.send(str(activity["serviceUrl"]), _conversation(activity), reply)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _actor(activity: dict[str, Any]) -> Actor | None:
    sender = activity.get("from") or {}
    aad = sender.get("aadObjectId")
    return Actor("teams", str(aad), display=str(sender.get("name", ""))) if aad else None


def _conversation(activity: dict[str, Any]) -> str:
    return str((activity.get("conversation") or {}).get("id", ""))


def _channel(activity: dict[str, Any]) -> str:
    channel = ((activity.get("channelData") or {}).get("channel") or {}).get("id")
    return str(channel or _conversation(activity).partition(";")[0])


def _text(activity: dict[str, Any]) -> str:
    """The typed words, without the bot's own <at> mention or other markup."""
    text = str(activity.get("text") or "")
    bot_id = (activity.get("recipient") or {}).get("id")
    for entity in activity.get("entities") or []:
        if entity.get("type") == "mention" and (entity.get("mentioned") or {}).get("id") == bot_id:
            text = text.replace(str(entity.get("text", "")), " ")
    return html.unescape(_TAGS.sub(" ", text)).strip()
