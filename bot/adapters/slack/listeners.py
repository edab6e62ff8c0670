"""Slack payloads to commands. The user id always comes from the signed payload."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import slash
from bot.adapters.slack.blocks import (
    ACTION_PREFIX,
    ASK_PREFIX,
    CARD_ACK,
    CARD_HANDOFF,
    UNDO_PREFIX,
    decode_button,
    decode_prompt,
)
from bot.adapters.slack.views import (
    DECIDE_VIEW,
    DECLARE_VIEW,
    HANDOFF_VIEW,
    decide_view,
    declare_view,
    handoff_view,
    value_of,
)
from bot.core.actors import Actor
from bot.core.approvals import Decision
from bot.core.commands import (
    AcceptCommand,
    AcknowledgeCommand,
    Command,
    DecideApproval,
    DeclareIncident,
    ProposeHandoff,
    RequestAction,
    UndoAction,
)
from bot.core.events import Refused, StatusRefused, Told, TurnedAway
from bot.service.bus import CommandSink
from bot.service.incidents.declare import DeclarationRefused

log = logging.getLogger(__name__)


def register(app: AsyncApp, bus: CommandSink) -> None:
    app.command("/incident")(_incident_command(bus))
    app.view(DECLARE_VIEW)(_declare_submitted(bus))
    app.view(DECIDE_VIEW)(_decision_submitted(bus))
    app.view(HANDOFF_VIEW)(_handoff_submitted(bus))
    app.action(re.compile(rf"^{re.escape(ACTION_PREFIX)}"))(_button_clicked(bus))
    app.action(re.compile(rf"^{re.escape(ASK_PREFIX)}"))(_prompt_clicked(bus))
    app.action(CARD_ACK)(_ack_clicked(bus))
    app.action(re.compile(rf"^{re.escape(UNDO_PREFIX)}"))(_undo_clicked(bus))
    app.action(CARD_HANDOFF)(_handoff_clicked)
    app.event("app_mention")(_mentioned)


def _user(body: dict[str, Any]) -> Actor:
    return Actor("slack", str(body["user"]["id"]))


async def _dispatch(bus: CommandSink, command: Command, respond: AsyncRespond | None) -> None:
    """Hand over; refusals that have no incident room to go to are answered directly."""
    try:
        events = await bus.handle(command)
    except DeclarationRefused as refused:
        events = [TurnedAway("", Actor("slack", "?"), f"not declared: {refused}")]
    for event in events:
        if isinstance(event, TurnedAway) or (
            isinstance(event, Refused | StatusRefused | Told) and not event.incident_id
        ):
            text = event.text if isinstance(event, Told) else f"Not done: {event.reason}"
            if respond is not None:
                await respond(text=text, response_type="ephemeral")
            log.info("told directly: %s", text)


def _incident_command(bus: CommandSink) -> Any:
    async def handle(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        parsed = slash.parse(
            str(body.get("text") or ""), str(body["user_id"]), str(body.get("channel_id", ""))
        )
        if parsed == slash.FORM:
            await client.views_open(trigger_id=body["trigger_id"], view=declare_view())
        elif isinstance(parsed, str):
            await respond(text=parsed, response_type="ephemeral")
        else:
            await _dispatch(bus, parsed, respond)

    return handle


def _declare_submitted(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        title = value_of(view, "title", "title")
        if not title:
            await ack(response_action="errors", errors={"title": "Give the incident a title."})
            return
        await ack()
        await _dispatch(
            bus,
            DeclareIncident(
                title=title[:200],
                source="manual",
                summary=value_of(view, "summary", "summary"),
                declared_by=_user(body),
            ),
            None,
        )

    return handle


def _button_clicked(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        try:
            incident_id, action_id, target_key = decode_button(str(action.get("value", "")))
        except ValueError:
            log.warning("ignored a malformed button from slack:%s", body["user"]["id"])
            return
        await _dispatch(
            bus,
            RequestAction(
                incident_id=incident_id,
                action_id=action_id,
                target_key=target_key,
                actor=_user(body),
            ),
            None,
        )

    return handle


def _prompt_clicked(bus: CommandSink) -> Any:
    async def handle(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        value = str(action.get("value", ""))
        try:
            prompt = decode_prompt(value)
        except ValueError:
            log.warning("ignored a malformed prompt button from slack:%s", body["user"]["id"])
            return
        if prompt["k"] in ("approve", "deny"):
            await client.views_open(
                trigger_id=body["trigger_id"], view=decide_view(value, prompt["k"])
            )
        elif prompt["k"] == "accept_command":
            await _dispatch(bus, AcceptCommand(_user(body), prompt["i"]), None)
        elif prompt["k"] == "ack_command":
            await _dispatch(bus, AcknowledgeCommand(_user(body), incident_id=prompt["i"]), None)

    return handle


def _decision_submitted(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            prompt = decode_prompt(str(view.get("private_metadata", "")))
            decision = Decision(prompt["k"])
        except ValueError:
            await ack(response_action="errors", errors={"reason": "This form is not valid."})
            return
        reason = value_of(view, "reason", "reason")
        if decision is Decision.DENY and not reason:
            await ack(response_action="errors", errors={"reason": "A denial needs a reason."})
            return
        await ack()
        await _dispatch(
            bus, DecideApproval(prompt["r"], _user(body), decision, prompt["h"], reason), None
        )

    return handle


def _undo_clicked(bus: CommandSink) -> Any:
    """Undo from the card. The connector refuses what is unsafe (re-enabling a leaked
    key needs confirm_false_positive, which a button never sends) and says why."""

    async def handle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await _dispatch(bus, UndoAction(str(action.get("value", "")), _user(body)), None)

    return handle


def _ack_clicked(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await _dispatch(
            bus, AcknowledgeCommand(_user(body), incident_id=str(action.get("value"))), None
        )

    return handle


async def _handoff_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    await client.views_open(
        trigger_id=body["trigger_id"], view=handoff_view(str(action.get("value")))
    )


def _handoff_submitted(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        to = value_of(view, "to", "to")
        if not to:
            await ack(response_action="errors", errors={"to": "Choose the new commander."})
            return
        await ack()
        await _dispatch(
            bus,
            ProposeHandoff(
                _user(body), Actor("slack", to), incident_id=str(view.get("private_metadata"))
            ),
            None,
        )

    return handle


async def _mentioned(body: dict[str, Any], client: AsyncWebClient) -> None:
    event = body.get("event", {})
    await client.chat_postMessage(
        channel=event.get("channel"), thread_ts=event.get("ts"), text=slash.USAGE
    )
