"""Cards as Adaptive Cards 1.5 with Action.Execute buttons, and the texts around them.

All user and alert text is HTML-escaped: ``<at>`` in a title is shown, never
resolved, because a real mention also needs an ``entities`` entry, which only
Blastwall writes, for a verified principal.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from bot.core.cards import Card, Prompt, target_text

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
VERB_ACTION = "bw.action"
VERB_ACK = "bw.ack"
VERB_UNDO = "bw.undo"
VERB_PROMPT = "bw.prompt"
VERB_HANDOFF = "bw.handoff"
REASON_INPUT = "reason"
TO_INPUT = "to"


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def mention(principal: str | None, names: Mapping[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """``<at>Name</at>`` and its entity for a Teams principal; escaped text otherwise."""
    if principal is None:
        return "nobody yet", []
    platform, _, user = principal.partition(":")
    if platform != "teams":
        return escape(principal), []
    name = escape(names.get(principal) or "commander")
    text = f"<at>{name}</at>"
    return text, [{"type": "mention", "text": text, "mentioned": {"id": user, "name": name}}]


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def _execute(title: str, verb: str, data: dict[str, str], danger: bool = False) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Execute", "title": escape(title), "verb": verb}
    action["data"] = data
    if danger:
        action["style"] = "destructive"
    return action


def adaptive(body: list[dict[str, Any]], entities: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }
    if entities:
        card["msteams"] = {"entities": entities}
    return card


def incident_card(card: Card, names: Mapping[str, str], note: str = "") -> dict[str, Any]:
    commander, entities = mention(card.commander, names)
    body: list[dict[str, Any]] = []
    if note:
        body.append(_text(escape(note), color="attention", weight="bolder"))
    body += [
        _text(f"{escape(card.incident_id)}: {escape(card.title)}", size="large", weight="bolder"),
        _text(f"{escape(card.severity)} · {escape(card.status)} · {escape(card.environment)}"),
        _text(f"Commander: {commander}" + ("" if card.acknowledged else " (not acknowledged)")),
    ]
    if card.handoff_to:
        body.append(_text(f"Handoff offered to {escape(card.handoff_to)}"))
    body += [
        _text(f"Identity: {escape(i)}" + (f" ({escape(s)})" if (s := card.state_of(i)) else ""))
        for i in card.identities
    ]
    body += [
        _text(
            f"{escape(o.action_id)} on {escape(target_text(o.target_key))}: "
            f"{escape(o.summary)} (by {escape(o.actor_principal)})"
        )
        for o in card.outcomes
    ]
    body += [_text(f"Awaiting approval: {escape(p)}") for p in card.pending]
    body.append({"type": "ActionSet", "actions": _actions(card)})
    return adaptive(body, entities)


def _actions(card: Card) -> list[dict[str, Any]]:
    """A button per offered action and target, then acknowledge, undo and handoff."""
    actions = [
        _execute(
            f"{b.label} ({b.target_key})",
            VERB_ACTION,
            {"i": card.incident_id, "a": b.action_id, "t": b.target_key},
            b.danger,
        )
        for b in card.buttons
    ]
    if not card.acknowledged:
        actions.append(_execute("Acknowledge command", VERB_ACK, {"i": card.incident_id}))
    actions += [
        _execute(f"Undo {o.action_id} ({o.target_key})", VERB_UNDO, {"r": o.request_key})
        for o in card.outcomes
        if o.undoable
    ]
    return [*actions, _handoff(card.incident_id)]


def _handoff(incident_id: str) -> dict[str, Any]:
    """Teams' people picker (Entra users, by object id); command moves only when the
    person chosen accepts, from their own verified click."""
    picker = {
        "type": "Input.ChoiceSet",
        "id": TO_INPUT,
        "label": "New commander",
        "isRequired": True,
        "choices": [],
        "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"},
    }
    offer = _execute("Offer command", VERB_HANDOFF, {"i": incident_id})
    return {
        "type": "Action.ShowCard",
        "title": "Hand off command",
        "card": {"type": "AdaptiveCard", "body": [picker], "actions": [offer]},
    }


def prompt_card(prompt: Prompt, note: str = "") -> dict[str, Any]:
    """A question with buttons; approve and deny carry a justification field, and the
    plan hash the approver was shown, so the decision is bound to that plan."""
    body: list[dict[str, Any]] = []
    if note:
        body.append(_text(escape(note), color="attention", weight="bolder"))
    body.append(_text(escape(prompt.text)))
    if any(b.kind in ("approve", "deny") for b in prompt.buttons):
        body.append(
            {
                "type": "Input.Text",
                "id": REASON_INPUT,
                "label": "Justification",
                "isMultiline": True,
                "maxLength": 500,
            }
        )
    actions = [
        _execute(
            b.label,
            VERB_PROMPT,
            {"k": b.kind, "i": b.incident_id, "r": b.ref, "h": b.plan_hash},
            b.danger,
        )
        for b in prompt.buttons
    ]
    if actions:
        body.append({"type": "ActionSet", "actions": actions})
    return adaptive(body, [])


def note_card(text: str) -> dict[str, Any]:
    return adaptive([_text(escape(text))], [])


def card_activity(content: dict[str, Any], summary: str) -> dict[str, Any]:
    return {
        "type": "message",
        "summary": escape(summary)[:200],
        "attachments": [{"contentType": CARD_TYPE, "content": content}],
    }


def invoke_answer(content: dict[str, Any]) -> dict[str, Any]:
    """The body of an ``adaptiveCard/action`` answer: the card that replaces the clicked one."""
    return {"statusCode": 200, "type": CARD_TYPE, "value": content}
