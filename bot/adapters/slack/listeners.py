"""Slack payloads to commands. The user id always comes from the signed payload."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import ACTION_PREFIX, decode_button
from bot.bus import CommandSink
from bot.core.actors import Actor
from bot.core.commands import ChangeStatus, DeclareIncident, RequestAction
from bot.core.events import StatusRefused
from bot.core.incidents import Status
from bot.declare import DeclarationRefused

log = logging.getLogger(__name__)
DECLARE_VIEW = "bw.declare"
USAGE = (
    "Usage: `/incident open TITLE` declares an incident; `/incident` alone opens a form; "
    "in an incident channel, `/incident status contained|recovering|resolved|closed [reason]` "
    "moves it along (commander only); `/incident help` shows this."
)


def register(app: AsyncApp, bus: CommandSink) -> None:
    app.command("/incident")(_incident_command(bus))
    app.view(DECLARE_VIEW)(_declare_submitted(bus))
    app.action(re.compile(rf"^{re.escape(ACTION_PREFIX)}"))(_button_clicked(bus))
    app.event("app_mention")(_mentioned)


def _incident_command(bus: CommandSink) -> Any:
    async def handle(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        text = str(body.get("text") or "").strip()
        verb, _, rest = text.partition(" ")
        if not text:
            await client.views_open(trigger_id=body["trigger_id"], view=_declare_view())
        elif verb.lower() == "open" and rest.strip():
            await _declare(bus, rest.strip(), "", body["user_id"], respond)
        elif verb.lower() == "status" and rest.strip():
            await _status(bus, rest.strip(), body, respond)
        else:
            await respond(text=USAGE, response_type="ephemeral")

    return handle


async def _status(bus: CommandSink, text: str, body: dict[str, Any], respond: AsyncRespond) -> None:
    word, _, reason = text.partition(" ")
    try:
        status = Status(word.lower())
    except ValueError:
        await respond(text=USAGE, response_type="ephemeral")
        return
    command = ChangeStatus(
        actor=Actor("slack", body["user_id"]),
        status=status,
        room=("slack", str(body.get("channel_id", ""))),
        reason=reason.strip(),
    )
    for event in await bus.handle(command):
        if isinstance(event, StatusRefused) and not event.incident_id:
            await respond(text=f"Not changed: {event.reason}", response_type="ephemeral")


def _declare_submitted(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        title = str((values.get("title", {}).get("title", {}) or {}).get("value") or "").strip()
        summary = str((values.get("summary", {}).get("summary", {}) or {}).get("value") or "")
        if not title:
            await ack(response_action="errors", errors={"title": "Give the incident a title."})
            return
        await ack()
        await _declare(bus, title, summary.strip(), body["user"]["id"], None)

    return handle


async def _declare(
    bus: CommandSink, title: str, summary: str, user_id: str, respond: AsyncRespond | None
) -> None:
    command = DeclareIncident(
        title=title[:200], source="manual", summary=summary, declared_by=Actor("slack", user_id)
    )
    try:
        await bus.handle(command)
    except DeclarationRefused as refused:
        if respond is not None:
            await respond(text=f"Not declared: {refused}", response_type="ephemeral")
        log.warning("declaration by slack:%s refused: %s", user_id, refused)


def _button_clicked(bus: CommandSink) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        try:
            incident_id, action_id, target_key = decode_button(str(action.get("value", "")))
        except ValueError:
            log.warning("ignored a malformed button from slack:%s", body["user"]["id"])
            return
        await bus.handle(
            RequestAction(
                incident_id=incident_id,
                action_id=action_id,
                target_key=target_key,
                actor=Actor("slack", body["user"]["id"]),
            )
        )

    return handle


async def _mentioned(body: dict[str, Any], client: AsyncWebClient) -> None:
    event = body.get("event", {})
    await client.chat_postMessage(
        channel=event.get("channel"), thread_ts=event.get("ts"), text=USAGE
    )


def _declare_view() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": DECLARE_VIEW,
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "title", "max_length": 200},
            },
            {
                "type": "input",
                "block_id": "summary",
                "optional": True,
                "label": {"type": "plain_text", "text": "What do you know so far?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "summary",
                    "multiline": True,
                    "max_length": 3000,
                },
            },
        ],
    }
