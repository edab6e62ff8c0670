"""Slack payloads to commands. The user id always comes from the signed payload."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import slash, transcript
from bot.adapters.slack.blocks import (
    ACTION_PREFIX,
    ASK_PREFIX,
    CARD_ACK,
    CARD_ADD_IDENTITY,
    CARD_HANDOFF,
    UNDO_PREFIX,
)
from bot.adapters.slack.declare_form import (
    IDENTITY_VIEW,
    declaration,
    declare_view,
    identity_added,
    identity_view,
)
from bot.adapters.slack.payloads import decode_action, decode_prompt
from bot.adapters.slack.views import (
    DECIDE_VIEW,
    DECLARE_VIEW,
    HANDOFF_VIEW,
    decide_view,
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
    ProposeHandoff,
    RequestAction,
    UndoAction,
)
from bot.core.playbooks import Playbook
from bot.service.bus import CommandSink
from bot.service.notify import replies

log = logging.getLogger(__name__)


def register(app: AsyncApp, bus: CommandSink, playbooks: Mapping[str, Playbook]) -> None:
    app.command("/incident")(_incident_command(bus, playbooks))
    app.view(DECLARE_VIEW)(_declare_submitted(bus, playbooks))
    app.view(IDENTITY_VIEW)(_identity_submitted(bus))
    app.action(CARD_ADD_IDENTITY)(_add_identity_clicked)
    app.view(DECIDE_VIEW)(_decision_submitted(bus))
    app.view(HANDOFF_VIEW)(_handoff_submitted(bus))
    app.action(re.compile(rf"^{re.escape(ACTION_PREFIX)}"))(_button_clicked(bus))
    app.action(re.compile(rf"^{re.escape(ASK_PREFIX)}"))(_prompt_clicked(bus))
    app.action(CARD_ACK)(_ack_clicked(bus))
    app.action(re.compile(rf"^{re.escape(UNDO_PREFIX)}"))(_undo_clicked(bus))
    app.action(CARD_HANDOFF)(_handoff_clicked)
    app.event("app_mention")(_mentioned(bus))
    app.event("message")(_said_in_channel(bus))


def _user(body: dict[str, Any]) -> Actor:
    return Actor("slack", str(body["user"]["id"]))


async def _dispatch(bus: CommandSink, command: Command, respond: AsyncRespond | None) -> None:
    """Hand over; refusals that have no incident room to go to are answered directly."""
    for text in replies.roomless(await bus.accept(command)):
        if respond is not None:
            await respond(text=text, response_type="ephemeral")
        log.info("told directly: %s", text)


def _incident_command(bus: CommandSink, playbooks: Mapping[str, Playbook]) -> Any:
    async def handle(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        parsed = slash.parse(
            str(body.get("text") or ""), str(body["user_id"]), str(body.get("channel_id", ""))
        )
        if parsed == slash.FORM:
            await client.views_open(trigger_id=body["trigger_id"], view=declare_view(playbooks))
        elif isinstance(parsed, str):
            await respond(text=parsed, response_type="ephemeral")
        else:
            await _dispatch(bus, parsed, respond)

    return handle


def _declare_submitted(bus: CommandSink, playbooks: Mapping[str, Playbook]) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        command = declaration(view, _user(body), playbooks)
        if isinstance(command, dict):
            await ack(response_action="errors", errors=command)
            return
        await ack()
        await _dispatch(bus, command, None)

    return handle


async def _add_identity_clicked(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    await client.views_open(
        trigger_id=body["trigger_id"], view=identity_view(str(action.get("value")))
    )


def _identity_submitted(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        command = identity_added(view, _user(body))
        if isinstance(command, dict):
            await ack(response_action="errors", errors=command)
            return
        await ack()
        await _dispatch(bus, command, None)

    return handle


def _button_clicked(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        try:
            clicked = decode_action(str(action.get("value", "")))
        except ValueError:
            log.warning("ignored a malformed button from slack:%s", body["user"]["id"])
            return
        await _dispatch(
            bus,
            RequestAction(
                incident_id=clicked.incident,
                action_id=clicked.action,
                target_key=clicked.target,
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
        if prompt.kind in ("approve", "deny"):
            await client.views_open(
                trigger_id=body["trigger_id"], view=decide_view(value, prompt.kind)
            )
        elif prompt.kind == "accept_command":
            await _dispatch(bus, AcceptCommand(_user(body), prompt.incident), None)
        elif prompt.kind == "ack_command":
            await _dispatch(bus, AcknowledgeCommand(_user(body), incident_id=prompt.incident), None)

    return handle


def _decision_submitted(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            prompt = decode_prompt(str(view.get("private_metadata", "")))
            decision = Decision(prompt.kind)
        except ValueError:
            await ack(response_action="errors", errors={"reason": "This form is not valid."})
            return
        reason = value_of(view, "reason", "reason")
        if decision is Decision.DENY and not reason:
            await ack(response_action="errors", errors={"reason": "A denial needs a reason."})
            return
        await ack()
        await _dispatch(
            bus, DecideApproval(prompt.ref, _user(body), decision, prompt.plan_hash, reason), None
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


def _mentioned(bus: CommandSink) -> Any:
    """``@Blastwall open TITLE`` and the rest read like the slash command's text;
    anything else (or a bare mention, which cannot open a form) gets the usage."""

    async def handle(body: dict[str, Any], client: AsyncWebClient) -> None:
        event = body.get("event", {})
        text = _LEADING_MENTION.sub("", str(event.get("text") or ""), count=1)
        parsed = slash.parse(text, str(event.get("user", "")), str(event.get("channel", "")))
        if isinstance(parsed, str):
            try:
                await client.chat_postMessage(
                    channel=event.get("channel"), thread_ts=event.get("ts"), text=slash.USAGE
                )
            except SlackApiError as exc:  # a reply that cannot be posted is not worth a retry
                log.warning("could not post the usage reply: %s", exc.response.get("error"))
            return
        await _dispatch(bus, parsed, None)

    return handle


_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>\s*")


def _said_in_channel(bus: CommandSink) -> Any:
    """A message, edit or deletion in a channel Blastwall is in. Whether the channel
    is an incident's room is the handler's to say; bots and Slack's own notices
    translate to nothing here."""

    async def handle(body: dict[str, Any], context: AsyncBoltContext) -> None:
        command = transcript.from_event(body.get("event") or {}, context.bot_user_id)
        if command is not None:
            await bus.handle(command)

    return handle
